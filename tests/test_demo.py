"""Demo data: a usable network for people and scripts, never in production."""

from __future__ import annotations

import json
from pathlib import Path

import pyotp
import pytest

from referral.extensions import db
from referral.models import Agency, Case, Referral, User
from referral.models.vocab import AgencyKind

pytestmark = pytest.mark.slow


def test_demo_seeds_a_network_and_writes_usable_logins(app, tmp_path, monkeypatch, client):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    result = app.test_cli_runner().invoke(args=["demo", "--files", "24"])
    assert result.exit_code == 0, result.output
    agencies = db.session.execute(db.select(Agency)).scalars().all()
    kinds = [a.kind for a in agencies if not a.external_partner]
    assert kinds.count(AgencyKind.ASSOCIATION) == 8 and kinds.count(AgencyKind.PUBLIC_SERVICE) >= 7
    assert [a.code for a in agencies if a.external_partner] == ["CABINET-LAW"]  # a lawyer without accounts
    assert db.session.query(Case).count() == 24
    assert len({r.status for r in db.session.execute(db.select(Referral)).scalars()}) >= 5
    accounts = json.loads(Path(tmp_path, "demo-accounts.json").read_text())
    assert {"caseworker", "officer", "coordinator", "auditor", "admin"} <= {a["role"] for a in accounts}
    assert all(set(a) == {"username", "password", "totp_secret", "role", "agency"} for a in accounts)
    account = next(a for a in accounts if a["role"] == "caseworker")
    from tests.factories import csrf_token

    client.post("/login", data={"username": account["username"], "password": account["password"],
                                "csrf_token": csrf_token(client)})
    response = client.post("/login/verify", data={"code": pyotp.TOTP(account["totp_secret"]).now(),
                                                   "csrf_token": csrf_token(client, "/login/verify")})
    assert response.status_code == 302 and client.get("/").status_code == 200
    again = app.test_cli_runner().invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and db.session.query(User).count() == len(accounts)


def test_demo_refuses_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = app.test_cli_runner().invoke(args=["demo", "--files", "1"])
    assert result.exit_code == 2 and "production" in result.output
    assert db.session.query(Agency).count() == 0
