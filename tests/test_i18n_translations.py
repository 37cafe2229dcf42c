"""The catalogues: complete in Arabic and French, never stale, placeholders intact."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ar", "fr")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")

pytestmark = pytest.mark.no_db


def _catalog(lang: str):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def test_catalogue_template_is_up_to_date(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "-o", str(fresh), "--no-location", "--omit-header", "--sort-output", "."],
        cwd=ROOT, check=True,
    )
    with open(fresh, "rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with open(ROOT / "translations" / "messages.pot", "rb") as handle:
        committed = {m.id for m in read_po(handle) if m.id}
    missing = sorted(map(str, wanted - committed))[:10]
    assert not missing, f"run `make translations` and translate: new strings {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_is_translated(lang):
    with open(ROOT / "translations" / "messages.pot", "rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    catalog = _catalog(lang)
    untranslated = []
    for message in catalog:
        if not message.id or message.id not in template:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            untranslated.append(_ids(message)[0])
    missing_entries = [m for m in template if catalog.get(m if not isinstance(m, tuple) else m[0]) is None]
    assert not untranslated, f"{lang}: {len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not missing_entries, f"{lang}: run `make translations`: {missing_entries[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_survive_translation(lang):
    broken = []
    for message in _catalog(lang):
        if not message.id:
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(_ids(message))))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) - wanted:
                broken.append(_ids(message)[0])
            if string and not isinstance(message.id, tuple) and set(PLACEHOLDER.findall(string)) != wanted:
                broken.append(_ids(message)[0])
    assert not broken, f"{lang}: placeholders differ in {broken[:5]}"
