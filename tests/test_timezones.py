"""One time zone database everywhere: the pinned `tzdata` package, never the host's."""

from __future__ import annotations

import subprocess
import sys
import zoneinfo
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import pytest

from referral.timezones import database_version

pytestmark = pytest.mark.no_db

ROOT = Path(__file__).resolve().parents[1]


def test_the_database_is_the_package_pinned_in_requirements():
    pinned = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.startswith("tzdata==")]
    assert pinned == [f"tzdata=={version('tzdata')}"]
    assert zoneinfo.TZPATH == ()  # the host's directories are not searched
    assert database_version() == "2026f"


def test_morocco_is_on_utc_all_year_from_20_september_2026():
    casablanca = zoneinfo.ZoneInfo("Africa/Casablanca")
    assert datetime(2026, 9, 19, 12, tzinfo=UTC).astimezone(casablanca).utcoffset().total_seconds() == 3600
    for day in (datetime(2026, 9, 21, 12, tzinfo=UTC), datetime(2027, 6, 16, 12, tzinfo=UTC)):
        assert day.astimezone(casablanca).utcoffset().total_seconds() == 0


@pytest.mark.parametrize("host_path", ["/usr/share/zoneinfo", ""])
def test_a_process_of_the_app_reads_the_pinned_database_whatever_the_host_offers(host_path):
    """A worker, a job or a command: importing the app is enough, and PYTHONTZPATH (or an older
    /usr/share/zoneinfo) changes nothing."""
    code = ("import referral, zoneinfo; from datetime import datetime, UTC;"
            "print(datetime(2027, 6, 16, 12, tzinfo=UTC).astimezone(zoneinfo.ZoneInfo('Africa/Casablanca')).hour)")
    env = {"PYTHONTZPATH": host_path, "PATH": "/usr/bin:/bin"}
    ran = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,  # noqa: S603  (our own code)
                         capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "12"
