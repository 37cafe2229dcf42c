"""A stolen account is taken back for good: every security action ends every session and every API
token, and she sees (and ends) each of them on her account page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import ApiToken, AuditEvent, UserSession
from referral.models.vocab import Role
from referral.services import account_approvals
from tests.api.conftest import bearer, token_for
from tests.factories import PASSWORD, csrf_token, login, make_user


def _works(client, token) -> bool:
    return client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def _admin_post(client, world, path):
    login(client, world.admin)
    return client.post(path, data={"csrf_token": csrf_token(client, f"/admin/users/{world.cw_a.id}")})


def _lead_approves_everything(world) -> None:
    """A lead of her association approves what the admin asked (tests/services/test_account_approvals.py)."""
    lead = make_user("lead.a", world.assoc_a, Role.CASEWORKER, Role.LEAD)
    for request in account_approvals.waiting_for(lead):
        account_approvals.approve(lead, request)
    db.session.commit()


def test_logout_everywhere_revokes_her_api_tokens(client, other_client, world):
    token = token_for(world.cw_a)
    login(client, world.cw_a)
    login(other_client, world.cw_a)
    client.post("/logout/everywhere", data={"csrf_token": csrf_token(client, "/account")})
    assert not _works(client, token)
    assert other_client.get("/").status_code == 302


@pytest.mark.parametrize("action", ["second-factor/reset", "password/reset"])
def test_an_admin_reset_revokes_her_api_tokens(client, world, action):
    token = token_for(world.cw_a)
    assert _works(client, token)
    _admin_post(client, world, f"/admin/users/{world.cw_a.id}/{action}")
    assert _works(client, token)  # only asked: nothing changes before a lead approves
    _lead_approves_everything(world)
    assert not _works(client, token)


def test_a_token_refused_while_disabled_stays_refused_after_re_enabling(client, world):
    token = token_for(world.cw_a)
    _admin_post(client, world, f"/admin/users/{world.cw_a.id}/disable")
    assert not _works(client, token)
    client.post(f"/admin/users/{world.cw_a.id}/enable",
                data={"csrf_token": csrf_token(client, f"/admin/users/{world.cw_a.id}")})
    _lead_approves_everything(world)
    db.session.expire_all()
    assert world.cw_a.active
    assert not _works(client, token)


def test_changing_her_password_revokes_her_api_tokens(client, world):
    token = token_for(world.cw_a)
    login(client, world.cw_a)
    new = "a much longer new passphrase 2026"
    client.post("/account/password", data={"current_password": PASSWORD, "new_password": new,
                                           "confirm_password": new, "csrf_token": csrf_token(client, "/account")})
    assert db.session.execute(select(ApiToken.revoked_at)).scalar_one() is not None
    assert not _works(client, token)


def test_the_account_page_lists_and_ends_her_sessions_and_tokens(client, other_client, world):
    token = token_for(world.cw_a, name="hotline tablet")
    login(client, world.cw_a)
    login(other_client, world.cw_a)
    page = client.get("/account", headers={"User-Agent": "test-browser"}).get_data(as_text=True)
    assert "hotline tablet" in page and page.count("/revoke") == 3  # two sessions, one token
    other_id = db.session.execute(select(UserSession.id).where(UserSession.user_id == world.cw_a.id)
                                  .order_by(UserSession.id.desc())).scalars().first()  # the later login
    token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    csrf = csrf_token(client, "/account")
    assert client.post(f"/account/sessions/{other_id}/revoke", data={"csrf_token": csrf}).status_code == 302
    assert other_client.get("/").status_code == 302 and client.get("/").status_code == 200
    assert client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf}).status_code == 302
    assert not _works(client, token)
    assert "hotline tablet" not in client.get("/account").get_data(as_text=True)


def test_another_accounts_session_or_token_cannot_be_ended(client, other_client, world):
    token = token_for(world.cw_b)
    login(other_client, world.cw_b)
    login(client, world.cw_a)
    her_session = db.session.execute(select(UserSession.id).where(UserSession.user_id == world.cw_b.id)).scalar_one()
    her_token = db.session.execute(select(ApiToken.id)).scalar_one()
    csrf = csrf_token(client, "/account")
    assert client.post(f"/account/sessions/{her_session}/revoke", data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"/account/tokens/{her_token}/revoke", data={"csrf_token": csrf}).status_code == 404
    assert other_client.get("/").status_code == 200 and _works(client, token)
    denied = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "access.denied")
    assert db.session.execute(denied).scalar_one() == 2
