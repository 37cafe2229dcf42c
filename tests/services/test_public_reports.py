"""Reports from the public: the form, the receipt, the status page, the abuse it refuses, and what
is never stored (address, cookie, clear text)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from referral.extensions import db
from referral.models import AuditEvent, LoginThrottle, PublicReport, PublicReportMessage, UserSession
from referral.models.vocab import ReportStatus

TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
ACCESS_RE = re.compile(r'name="access" value="([^"]+)"')
CODE_RE = re.compile(r'class="receipt-code">([^<]+)<')
PASS_RE = re.compile(r'class="receipt-passphrase">([^<]+)<')
ADDRESS = "203.0.113.77"
NARRATIVE = "He hits her every night; she fears for her life."


def _get(client, path):
    return client.get(path, environ_base={"REMOTE_ADDR": ADDRESS})


def _post(client, path, data, **headers):
    return client.post(path, data=data, environ_base={"REMOTE_ADDR": ADDRESS}, headers=headers)


def form_token(client, path="/report"):
    return TOKEN_RE.search(_get(client, path).get_data(as_text=True)).group(1)


def report_data(world, **overrides):
    data = {"violence_type": "physical_assault", "region_id": str(world.r1.id), "incident_place": "home",
            "reporter_role": "concerned", "narrative": NARRATIVE, "contact": "0612345678",
            "contact_instructions": "mornings only", "danger_now": "y", "share_with_authority": "y",
            "lang": "ar", "website": ""}
    return data | overrides


def submit(client, world, **overrides):
    data = report_data(world, **overrides)
    data.setdefault("form_token", form_token(client))
    return _post(client, "/report", data)


def receipt_of(response):
    html = response.get_data(as_text=True)
    return CODE_RE.search(html).group(1), PASS_RE.search(html).group(1)


def test_a_report_gives_a_receipt_and_stores_only_ciphertext(client, world):
    response = submit(client, world)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    code, passphrase = receipt_of(response)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    report = db.session.execute(select(PublicReport)).scalar_one()
    assert report.status == ReportStatus.RECEIVED and report.danger_now
    assert code not in report.receipt_digest and passphrase not in report.passphrase_hash
    assert report.passphrase_hash.startswith("$argon2id$")
    assert NARRATIVE.encode() not in report.narrative_ct and b"0612345678" not in report.contact_ct


def test_the_public_pages_set_no_cookie_and_keep_no_session(client, world):
    for response in (_get(client, "/report"), submit(client, world), _get(client, "/report/status")):
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    assert db.session.execute(select(UserSession)).first() is None


def test_the_address_is_stored_nowhere(client, world):
    code, passphrase = receipt_of(submit(client, world))
    _post(client, "/report/status", {"code": code, "passphrase": passphrase,
                                     "form_token": form_token(client, "/report/status")})
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action.like("report.%"))).scalars().all()
    assert {e.action for e in events} >= {"report.submit", "report.status_read"}
    assert all(e.ip_address is None for e in events)
    queries = [text(f"SELECT * FROM {table.name}") for table in db.metadata.sorted_tables]  # noqa: S608 (ours)
    dump = "\n".join(str(row) for query in queries for row in db.session.execute(query))
    assert ADDRESS not in dump
    assert all(ADDRESS not in key for key in db.session.execute(select(LoginThrottle.key)).scalars())


def test_the_reporter_reads_her_status_and_adds_information(client, world):
    code, passphrase = receipt_of(submit(client, world))
    response = _post(client, "/report/status", {"code": code.lower().replace("-", " "), "passphrase": passphrase,
                                                "form_token": form_token(client, "/report/status")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'aria-current="step"' in html
    access = ACCESS_RE.search(html).group(1)
    token = TOKEN_RE.search(html).group(1)
    response = _post(client, "/report/add", {"access": access, "form_token": token, "text": "He has a gun."})
    assert response.status_code == 200
    message = db.session.execute(select(PublicReportMessage)).scalar_one()
    assert message.direction == "reporter" and b"gun" not in message.body_ct


@pytest.mark.parametrize("passphrase", ["WRONG-PASS-00", ""])
def test_a_wrong_passphrase_reads_nothing(client, world, passphrase):
    code, _ = receipt_of(submit(client, world))
    response = _post(client, "/report/status", {"code": code, "passphrase": passphrase,
                                                "form_token": form_token(client, "/report/status")})
    assert response.status_code == 422
    assert 'aria-current="step"' not in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["narrative", "contact", "contact_instructions"])
def test_markup_in_any_field_is_refused_and_nothing_stored(client, world, field):
    response = submit(client, world, **{field: "<script>alert(1)</script>"})
    assert response.status_code == 422
    assert "&lt;script&gt;" in response.get_data(as_text=True)  # what she typed, escaped, kept
    assert db.session.execute(select(PublicReport)).first() is None


def test_a_huge_body_is_refused(client, world):
    response = submit(client, world, narrative="x" * 100_000)
    assert response.status_code == 413
    response = submit(client, world, narrative="x" * 6000)
    assert response.status_code == 422
    assert db.session.execute(select(PublicReport)).first() is None


def test_the_honeypot_stores_nothing(client, world):
    response = submit(client, world, website="http://spam.example")
    assert response.status_code == 200
    assert db.session.execute(select(PublicReport)).first() is None


def test_a_flood_is_refused_after_the_hourly_limit(app, client, world):
    limit = app.config["PUBLIC_REPORTS_PER_HOUR"]
    codes = [submit(client, world).status_code for _ in range(limit + 2)]
    assert codes[:limit] == [200] * limit and codes[limit:] == [429, 429]
    assert len(db.session.execute(select(PublicReport)).all()) == limit


def test_a_post_from_another_site_or_without_token_is_refused(client, world):
    data = report_data(world) | {"form_token": form_token(client)}
    assert _post(client, "/report", data, Origin="https://evil.example").status_code == 403
    assert _post(client, "/report", data, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert _post(client, "/report", report_data(world) | {"form_token": "forged"}).status_code == 422
    assert db.session.execute(select(PublicReport)).first() is None


def test_a_danger_now_report_alerts_the_caseworkers_of_the_region(client, world):
    from referral.models import Notification, OutboxEmail

    submit(client, world)
    notified = {n.user_id for n in db.session.execute(select(Notification)).scalars()}
    assert notified == {world.cw_a.id, world.cw_b.id}  # both associations of region one
    for email in db.session.execute(select(OutboxEmail)).scalars():
        assert NARRATIVE not in email.body and "0612345678" not in email.body


@pytest.mark.parametrize("lang", ["ar", "fr", "en"])
def test_the_form_speaks_three_languages_arabic_first(client, world, lang):
    html = _get(client, f"/report?lang={lang}").get_data(as_text=True)
    assert f'lang="{lang}"' in html
    if lang == "ar":
        assert 'dir="rtl"' in _get(client, "/report").get_data(as_text=True)
