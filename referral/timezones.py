"""One time zone database for every process, test and machine: the `tzdata` package pinned in
requirements.txt, never the host's.

Python's `zoneinfo` reads the host's database first (/usr/share/zoneinfo), which each machine
updates on its own schedule, and falls back to the `tzdata` package. Two app servers, or CI and
production, could then put a Moroccan due time, working hours or appointment an hour apart: tz
2026f (tzdata 2026.6) has Morocco on UTC+0 all year from 20 September 2026, while a host still on
2025b keeps it on UTC+1 outside Ramadan. Reading the pinned package only, a country's change of
clock reaches Masar as a change of requirements.txt: reviewed, tested and deployed with the code
(README, "Time zones").
"""

from __future__ import annotations

import zoneinfo

import tzdata


def use_the_pinned_database() -> None:
    """Every `ZoneInfo` from now on comes from the `tzdata` package (the app calls this first)."""
    zoneinfo.reset_tzpath(to=())
    zoneinfo.ZoneInfo.clear_cache()


def database_version() -> str:
    """The IANA release in use, such as "2026f"."""
    return tzdata.IANA_VERSION
