"""The glossary's words, everywhere (issue 21, part 4): a message that names a concept of the users'
glossary (../shared/GLOSSARY.md) says it with the glossary's Arabic and French word. Each rule is a
pattern in the English message and the word (or its stem, to allow articles, plurals and the dual)
that every translation of such a message must contain; the few messages that refer back to the
concept another way ("this shelter" said "this centre") are listed with the reason."""

from __future__ import annotations

import re

import pytest

from tests.test_i18n_translations import _catalog

pytestmark = pytest.mark.no_db

#: English pattern -> (Arabic stems, French stems).
RULES = {
    r"\bconsent": (("وافق",), ("consent",)),  # the noun الموافقة and the verb توافق
    r"\breferral": (("إحال", "الإحال", "أحال"), ("orient",)),
    r"\bsurvivor": (("ناجي",), ("survivante",)),
    r"\brisk\b": (("خطور", "خطر"), ("risque",)),
    r"\bcaseworker": (("مكلف",), ("chargé",)),
    r"\bcoordinator": (("منسق",), ("coordinat",)),
    r"\bauditor": (("مدقق",), ("audit",)),
    r"\baccess log\b": (("سجل الولوج",), ("journal des accès",)),
    r"\bshelter": (("إيواء",), ("hébergement", "hébergé", "ce centre")),  # "this shelter": ce centre
    r"\bhotline\b": (("الخط الهاتفي",), ("ligne d'écoute",)),
    r"\bescalat": (("صعّد", "تصعيد", "صعد"), ("escalad",)),
    r"\bno activity\b|\bstalled\b": (("توقف", "دون نشاط", "بلا نشاط", "أي نشاط"), ("souffrance", "activité")),
}
#: Messages that say the concept another way, on purpose.
EXCEPTIONS = {
    "ar": {
        "No bed is free in this shelter now.": "refers back: this centre",
        "Send to this shelter even though it is full (they agreed on the phone)": "refers back: this centre",
        "This shelter is full now. Choose one with room, or tick that this one agreed.": "refers back",
        "Women in the shelter": "the residents (المقيمات), on the shelter's own page",
        "Another caseworker claimed this report first.": "a colleague (مكلفة أخرى)",
    },
    "fr": {
        "Referral pathway": "the glossary's own term: circuit de prise en charge",
        "Women in the shelter": "the women housed (hébergées)",
    },
}


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_every_message_uses_the_glossarys_words(lang):
    wrong = []
    for message in _catalog(lang):
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[-1]
        translations = message.string if isinstance(message.string, tuple) else (message.string,)
        if english in EXCEPTIONS[lang]:
            continue
        for pattern, (arabic, french) in RULES.items():
            if not re.search(pattern, english, re.IGNORECASE):
                continue
            stems = arabic if lang == "ar" else french
            # Plural forms: the last (the general one) must use the word; 0/1/2 may be phrased apart.
            text = translations[-1] or ""
            if text and not any(stem.lower() in text.lower() for stem in stems):
                wrong.append((pattern, english, text))
    assert not wrong, "\n".join(f"{p!r}: {e!r} -> {t!r}" for p, e, t in wrong[:20])


def test_the_exceptions_still_exist():
    for lang, exceptions in EXCEPTIONS.items():
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(lang) if m.id}
        assert set(exceptions) <= ids, set(exceptions) - ids
