"""Login throttling that slows guessers without giving them the power to lock a woman out of her
account or to stall the service for everyone."""

from __future__ import annotations

import pytest

from referral import create_app
from referral.extensions import db
from tests.conftest import IsolatedClient
from tests.factories import PASSWORD, csrf_token, login, next_totp, race

pytestmark = pytest.mark.usefixtures("isolated_clients")

OFFICE, ATTACKERS = "198.51.100.7", [f"203.0.113.{n}" for n in range(1, 6)]


def _from(client, address):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _password(client, username, password):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)})


def test_guesses_from_elsewhere_do_not_lock_her_out_of_her_office(app, world):
    login(_from(app.test_client(), OFFICE), world.cw_a)  # she has worked from her office before
    threshold = app.config["LOGIN_LOCKOUT_THRESHOLD"]
    for address in ATTACKERS:  # more guesses than the account-wide limit, spread over addresses
        attacker = _from(app.test_client(), address)
        for _ in range(threshold):
            assert "error-box" in _password(attacker, "cw.a", "wrong-password-1").get_data(as_text=True)
    # Each guessing address is locked out, even with the right password...
    assert _password(attacker, "cw.a", PASSWORD).status_code == 429
    # ...and so is any address she has not worked from, while the guessing goes on...
    assert _password(_from(app.test_client(), "192.0.2.44"), "cw.a", PASSWORD).status_code == 429
    # ...but from her office she logs in.
    office = _from(app.test_client(), OFFICE)
    assert _password(office, "cw.a", PASSWORD).headers["Location"].endswith("/login/verify")
    verified = office.post("/login/verify", data={"code": next_totp(world.cw_a),
                                                  "csrf_token": csrf_token(office, "/login/verify")})
    assert verified.status_code == 302 and office.get("/").status_code == 200


def test_a_few_wrong_passwords_from_elsewhere_lock_nobody(app, world):
    attacker = _from(app.test_client(), ATTACKERS[0])
    for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"]):
        _password(attacker, "cw.a", "wrong-password-1")
    elsewhere = _from(app.test_client(), "192.0.2.44")  # a new address of hers: a training, a phone
    assert _password(elsewhere, "cw.a", PASSWORD).headers["Location"].endswith("/login/verify")


@pytest.fixture
def small_pool_app(database_url):
    """The same database behind a pool of two connections that gives up after two seconds."""
    # (Rate limits stay on: the limiter is one object for every app, and 14 requests are within them.)
    small = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "masar.test",
                                "PROPAGATE_EXCEPTIONS": False,
                                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 2, "max_overflow": 0, "pool_timeout": 2}})
    small.test_client_class = IsolatedClient
    yield small
    with small.app_context():
        db.engine.dispose()


def test_concurrent_failed_logins_do_not_stall_the_pool(small_pool_app, world):
    db.session.commit()

    def fail(n):
        def attempt():
            client = small_pool_app.test_client()
            return _password(client, f"made-up-{n}", "wrong-password-1").status_code
        return attempt

    def healthy():
        # What a colleague does meanwhile: open the login page (the readiness probe writes, which
        # a visitor never does, and on SQLite would queue behind the flood for the single writer).
        return small_pool_app.test_client().get("/login").status_code

    statuses = race([fail(n) for n in range(12)] + [healthy] * 2)
    assert statuses == [422] * 12 + [200] * 2
