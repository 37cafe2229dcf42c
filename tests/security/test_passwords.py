"""Guessable passwords are refused when she chooses one, with the reason, in her language."""

from __future__ import annotations

import pytest

from referral.extensions import db
from referral.security.passwords import password_problems, verify_password
from tests.factories import PASSWORD, csrf_token, login

GUESSABLE = ["password1234", "123456789012", "qwertyuiopas", "azertyuiop12", "Casablanca2026!", "bismillah2026",
             "Soleil123456", "masar-masar-2026", "amal-cw-amal-cw"]
STRONG = ["a much longer new passphrase 2026", "thé à la menthe sous l'olivier", "vert-tigre-lampe-9-riviere"]


def _choose(client, new):
    return client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new, "confirm_password": new,
        "csrf_token": csrf_token(client, "/account/password")})


@pytest.mark.parametrize("password", GUESSABLE)
def test_a_guessable_password_is_refused_with_the_reason(client, world, password):
    login(client, world.cw_a)
    client.post("/language", data={"lang": "fr", "next": "/", "csrf_token": csrf_token(client, "/")})
    response = _choose(client, password)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ce mot de passe est trop courant ou trop facile à deviner." in page
    db.session.expire_all()
    assert not verify_password(world.cw_a.password_hash, password)


@pytest.mark.parametrize("password", STRONG)
def test_a_passphrase_is_accepted(client, world, password):
    login(client, world.cw_a)
    assert _choose(client, password).status_code == 302
    db.session.expire_all()
    assert verify_password(world.cw_a.password_hash, password)


def test_the_length_rules_still_come_first():
    assert password_problems("Tr0ub4dor&3") == ["too_short"]
    assert password_problems("correct horse " * 20) == ["too_long"]
    assert password_problems("correct horse battery staple", username="cw.a") == []
    assert password_problems("password1234") == ["too_common"]
