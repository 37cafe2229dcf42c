"""Messages about a referral (issue 20, part 4): the notes on a referral are a thread between the
sending association and the receiving agency, encrypted under the file's key, read within her
consent and only while the recipient's access lasts; the other side is told, without the text,
and sees what it has not read yet."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import AuditEvent, Consent, Note, Notification, OutboxEmail, Referral
from referral.models.vocab import ServiceCategory
from referral.services.consents import withdraw_consent
from tests.factories import as_user, consent_and_refer, csrf_token, login, make_case

SECRET = "Her brother works at this station: call her only on the second number"


@pytest.fixture
def referral(world):
    case = make_case(world.cw_a)
    sent = consent_and_refer(world.cw_a, case, world.service(world.police, ServiceCategory.POLICE_PROTECTION))
    db.session.commit()
    return sent


def _send(client, referral, body):
    token = csrf_token(client, f"/referrals/{referral.id}")
    return client.post(f"/referrals/{referral.id}/notes", data={"body": body, "csrf_token": token})


def _told(user, referral) -> list[Notification]:
    return db.session.execute(select(Notification).where(
        Notification.user_id == user.id, Notification.referral_id == referral.id,
        Notification.kind == "referral.message")).scalars().all()


def test_the_caseworker_writes_and_the_officer_is_told_without_the_text(client, world, referral):
    login(client, world.cw_a)
    assert _send(client, referral, SECRET).status_code == 302
    told = _told(world.officer_police, referral)
    assert len(told) == 1 and told[0].read_at is None
    assert SECRET not in str(told[0].params)
    assert _told(world.cw_a, referral) == []  # the author is not told of her own message
    emails = db.session.execute(select(OutboxEmail).where(OutboxEmail.to_address == world.officer_police.email)
                                ).scalars().all()
    assert emails and all(SECRET not in e.body and SECRET not in e.subject for e in emails)
    assert all(referral.reference in e.subject for e in emails if "message" in e.subject.lower()
               or "رسالة" in e.subject)
    # Stored encrypted under the file's key: the raw column holds no text.
    note = db.session.execute(select(Note).where(Note.referral_id == referral.id)).scalar_one()
    assert SECRET.encode() not in note.body_ct


def test_the_officer_reads_it_answers_and_the_unread_count_follows(client, other_client, world, referral):
    login(client, world.cw_a)
    _send(client, referral, SECRET)
    login(other_client, world.officer_police)
    inbox = other_client.get("/referrals/inbox").get_data(as_text=True)
    assert f'href="/referrals/{referral.id}#notes"' in inbox  # "1 new message" beside the reference

    page = other_client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert SECRET in page
    db.session.expire_all()
    assert all(n.read_at is not None for n in _told(world.officer_police, referral))
    assert f'href="/referrals/{referral.id}#notes"' not in other_client.get("/referrals/inbox").get_data(as_text=True)

    assert _send(other_client, referral, "We will call her tomorrow at 9").status_code == 302
    assert len(_told(world.cw_a, referral)) == 1  # the sender hears back
    outbox = client.get("/referrals/outbox").get_data(as_text=True)
    assert f'href="/referrals/{referral.id}#notes"' in outbox
    assert "We will call her tomorrow at 9" in client.get(f"/referrals/{referral.id}").get_data(as_text=True)


def test_after_her_consent_is_withdrawn_the_agency_neither_reads_nor_hears(client, other_client, world, referral):
    login(client, world.cw_a)
    _send(client, referral, SECRET)
    case = db.session.get(Referral, referral.id).case
    with as_user(world.cw_a):
        for consent in db.session.execute(select(Consent).where(Consent.case_id == case.id)).scalars():
            withdraw_consent(world.cw_a, case, consent)
    db.session.commit()

    login(other_client, world.officer_police)
    assert SECRET not in other_client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    before = len(_told(world.officer_police, referral))
    _send(client, referral, "A second message after the withdrawal")
    assert len(_told(world.officer_police, referral)) == before  # not told of what it may not read
    # The owner still reads the whole thread.
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert SECRET in page and "A second message after the withdrawal" in page


@pytest.mark.parametrize("who", ["cw_b", "officer_hospital", "coordinator", "auditor", "admin"])
def test_no_one_else_writes_or_reads_the_thread(client, other_client, world, referral, who):
    login(client, world.cw_a)
    _send(client, referral, SECRET)
    login(other_client, getattr(world, who))
    notes_before = db.session.scalar(select(func.count()).select_from(Note))
    page = other_client.get(f"/referrals/{referral.id}")
    assert SECRET not in page.get_data(as_text=True)
    response = other_client.post(f"/referrals/{referral.id}/notes",
                                 data={"body": "Let me in", "csrf_token": csrf_token(other_client, "/")})
    assert response.status_code in (403, 404)
    assert db.session.scalar(select(func.count()).select_from(Note)) == notes_before


def test_a_message_too_long_comes_back_with_what_was_typed_and_nothing_is_sent(client, world, referral):
    login(client, world.cw_a)
    first_event = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
    typed = "x" * 20001
    response = _send(client, referral, typed)
    assert response.status_code == 422
    assert typed in response.get_data(as_text=True) and 'id="error-summary"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Note)) == 0
    assert _told(world.officer_police, referral) == []
    new = db.session.execute(select(AuditEvent.action).where(AuditEvent.id > first_event)).scalars().all()
    assert "note.create" not in new
