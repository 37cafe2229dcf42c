"""Print the current second-factor code of a demo account: `python -m referral.tools.totp_code USER`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyotp

ACCOUNTS = Path(__file__).resolve().parents[2] / "instance" / "demo-accounts.json"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m referral.tools.totp_code USERNAME", file=sys.stderr)
        return 2
    try:
        accounts = json.loads(ACCOUNTS.read_text())
    except FileNotFoundError:
        print(f"{ACCOUNTS} not found: run `make run` (or `make demo`) first", file=sys.stderr)
        return 1
    for account in accounts:
        if account["username"] == argv[1]:
            print(pyotp.TOTP(account["totp_secret"]).now())
            return 0
    print(f"no demo account {argv[1]!r}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
