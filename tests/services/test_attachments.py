"""Attachments: encrypted at rest with their names, downloaded only by the owning association."""

from __future__ import annotations

import io

from sqlalchemy import text

from referral.extensions import db
from referral.models import AuditEvent
from tests.factories import csrf_token, login, make_case

CERTIFICATE = b"%PDF-1.4 medical certificate for Fatima: fracture of the left arm"


def _upload(client, case, data=CERTIFICATE, name="certificat-fatima.pdf", mimetype="application/pdf"):
    return client.post(f"/cases/{case.id}/attachments", content_type="multipart/form-data", data={
        "file": (io.BytesIO(data), name, mimetype), "csrf_token": csrf_token(client, f"/cases/{case.id}")})


def test_attach_then_download(client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    assert _upload(client, case).status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "certificat-fatima.pdf" in page
    link = page.split(f"/cases/{case.id}/attachments/")[1].split('"')[0]
    download = client.get(f"/cases/{case.id}/attachments/{link}")
    assert download.status_code == 200 and download.data == CERTIFICATE
    assert download.headers["Content-Disposition"].startswith("attachment")
    actions = [e.action for e in db.session.execute(db.select(AuditEvent)).scalars()]
    assert "attachment.create" in actions and "attachment.read" in actions


def test_nothing_readable_at_rest(client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    _upload(client, case)
    raw = db.session.execute(text("SELECT filename_ct, content_type_ct, content_ct FROM attachments")).one()
    blob = b"".join(bytes(v) for v in raw)
    assert b"fracture" not in blob and b"certificat" not in blob and b"application/pdf" not in blob


def test_refused_types_and_other_agencies(client, other_client, world):
    case = make_case(world.cw_a)
    login(client, world.cw_a)
    _upload(client, case, data=b"<script>alert(1)</script>", name="x.html", mimetype="text/html")
    assert "x.html" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    _upload(client, case)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    link = page.split(f"/cases/{case.id}/attachments/")[1].split('"')[0]
    login(other_client, world.cw_b)
    assert other_client.get(f"/cases/{case.id}/attachments/{link}").status_code == 404
