"""The awareness library (issue 17, part 4): coordinators write articles and upload PDFs; anyone
reads what is published, without an account, a session or a cookie; nothing a coordinator types can
put a script, a style or a picture from elsewhere on a public page; help is listed by region
without an address."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from referral.extensions import db
from referral.models import AuditEvent, LibraryItem, UserSession
from referral.models.vocab import AuditOutcome
from referral.services import library
from tests.factories import csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ARTICLE = {"title": "Porter plainte pas à pas", "slug": "vos-droits", "language": "fr", "topic": "rights",
           "summary": "Ce que dit la loi.", "body_markdown": "## La loi\n\nVous pouvez porter plainte."}


@pytest.fixture(autouse=True)
def _in_english(world):
    """The coordinators read the pages in English here, so the messages can be read by the tests."""
    world.coordinator.locale = world.regional_coordinator.locale = "en"
    db.session.commit()


def _new(client, kind="article", **fields):
    data = ({**ARTICLE, **fields} if kind == "article" else
            {k: v for k, v in ARTICLE.items() if k != "body_markdown"} | fields)
    data["csrf_token"] = csrf_token(client, f"/library/manage/new/{kind}")
    return _post(client, f"/library/manage/new/{kind}", data)


def _post(client, path, data):
    """A multipart POST whose spooled body is closed after it (a large upload goes to a temp file)."""
    from flask.testing import EnvironBuilder

    builder = EnvironBuilder(client.application, path=path, method="POST", data=data)
    request = builder.get_request()
    try:
        return client.open(request)
    finally:
        request.environ["wsgi.input"].close()
        builder.close()


def _item(slug="vos-droits") -> LibraryItem | None:
    db.session.expire_all()
    return db.session.execute(select(LibraryItem).where(LibraryItem.slug == slug)).scalar_one_or_none()


def _change(client, item, change, version=None):
    token = csrf_token(client, "/library/manage")
    return client.post(f"/library/manage/{item.id}/{change}",
                       data={"csrf_token": token, "version": str(item.version if version is None else version)})


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(LibraryItem))


def _published(client, world, **fields) -> LibraryItem:
    login(client, world.coordinator)
    assert _new(client, **fields).status_code == 302
    item = _item(fields.get("slug", ARTICLE["slug"]))
    assert _change(client, item, "publish").status_code == 302
    return _item(item.slug)


def test_an_article_is_public_only_once_published(client, other_client, world):
    login(client, world.coordinator)
    response = _new(client)
    assert response.status_code == 302
    item = _item()
    assert item is not None and not item.published and item.created_by_id == world.coordinator.id

    assert other_client.get("/library/vos-droits?lang=fr").status_code == 404  # a draft is nobody's to read
    assert "Porter plainte pas à pas" not in other_client.get("/library?lang=fr").get_data(as_text=True)

    assert _change(client, item, "publish").status_code == 302
    page = other_client.get("/library/vos-droits?lang=fr")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h2>La loi</h2>" in html and "Vous pouvez porter plainte." in html
    assert "Porter plainte pas à pas" in other_client.get("/library?lang=fr").get_data(as_text=True)
    assert "Porter plainte pas à pas" not in other_client.get("/library?lang=ar").get_data(as_text=True)  # one language

    actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.action.like("library.%"))
                                 .order_by(AuditEvent.id)).scalars().all()
    assert actions == ["library.create", "library.publish"]

    assert _change(client, _item(), "unpublish").status_code == 302
    assert other_client.get("/library/vos-droits?lang=fr").status_code == 404


HOSTILE = "\n\n".join([
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src='https://evil.example'></iframe>",
    "[click](javascript:alert(1)) [again](JaVaScRiPt:alert(2)) [data](data:text/html;base64,PHNjcmlwdD4=)",
    "![a tracking picture](https://tracker.example/pixel.png)",
    '<a href="https://evil.example" onclick="steal()">link</a>',
    "<style>body{display:none}</style>",
    "[fine](https://justice.gov.ma \"The ministry\")",
])


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_nothing_a_coordinator_types_puts_a_script_or_a_picture_on_a_public_page(client, other_client, world):
    _published(client, world, body_markdown=HOSTILE)
    html = other_client.get("/library/vos-droits?lang=fr").get_data(as_text=True)
    article = html[html.index('<div class="prose">'):html.index("</article>")]
    parsed = _Tags()
    parsed.feed(article)
    assert {tag for tag, _ in parsed.tags} <= {"div", "p", "a", "h2", "h3", "ul", "li", "strong", "em"}
    links = [attrs for tag, attrs in parsed.tags if tag == "a"]
    assert links == [{"href": "https://justice.gov.ma", "title": "The ministry",
                      "rel": "noopener noreferrer nofollow"}]
    assert all(not name.startswith("on") for _, attrs in parsed.tags for name in attrs)
    assert "a tracking picture" in article and "tracker.example" not in article  # its description only


def test_markdown_is_rendered_with_headings_under_the_page_title():
    html = str(library.render_markdown("# Big\n\n* one\n* two\n\n> quoted"))
    assert "<h1>" not in html and "<h2>Big</h2>" in html
    assert "<li>one</li>" in html and "<blockquote>" in html


@pytest.mark.parametrize("who", ["cw_a", "officer_police", "auditor", "admin"])
def test_only_coordinators_write_the_library(client, world, who):
    login(client, getattr(world, who))
    assert client.get("/library/manage").status_code == 403
    assert client.get("/library/manage/new/article").status_code == 403
    token = csrf_token(client, "/")
    response = client.post("/library/manage/new/article", data={**ARTICLE, "csrf_token": token})
    assert response.status_code == 403
    assert _count() == 0
    denied = db.session.execute(select(AuditEvent).where(AuditEvent.outcome == AuditOutcome.DENIED)).scalars().all()
    assert denied, "each refusal is in the access log"


def test_a_caseworker_typing_an_item_id_cannot_unpublish_it(client, other_client, world):
    """Ids typed by someone who may not write: 403 before anything is looked up."""
    _published(client, world)
    login(other_client, world.cw_a)
    item = _item()
    token = csrf_token(other_client, "/")
    assert other_client.post(f"/library/manage/{item.id}/unpublish",
                             data={"csrf_token": token, "version": str(item.version)}).status_code == 403
    assert _item().published


def test_the_management_pages_send_a_visitor_to_the_login(client, world):
    response = client.get("/library/manage")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_public_pages_keep_no_cookie_no_session_and_no_cache(client, other_client, world):
    _published(client, world)
    sessions = db.session.scalar(select(func.count()).select_from(UserSession))
    for path in ("/library?lang=fr", "/library/vos-droits?lang=fr", f"/library/help?region_id={world.r1.id}",
                 "/library?topic=law&lang=ar"):
        response = other_client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == sessions


def test_a_logged_in_caseworker_reads_the_library_as_anyone_does(client, other_client, world):
    """Reading about violence leaves no trace tied to her account."""
    _published(client, world)
    login(other_client, world.cw_a)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = other_client.get("/library/vos-droits?lang=fr")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    new = db.session.execute(select(AuditEvent).order_by(AuditEvent.id).offset(before)).scalars().all()
    assert all(e.user_id is None for e in new)


def test_the_language_links_keep_the_page(client, other_client, world):
    _published(client, world)
    html = other_client.get("/library/vos-droits?lang=fr").get_data(as_text=True)
    assert 'href="/library/vos-droits?lang=ar"' in html and 'href="/library/vos-droits?lang=en"' in html
    html = other_client.get(f"/library/help?region_id={world.r1.id}&lang=fr").get_data(as_text=True)
    assert f'href="/library/help?lang=ar&amp;region_id={world.r1.id}"' in html


def test_a_pdf_is_downloaded_as_a_file_that_cannot_run_in_the_site(client, other_client, world):
    login(client, world.coordinator)
    response = _new(client, "document", slug="guide", title="Guide", document=(_file(PDF), "guide juridique.pdf"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item = _item("guide")
    assert item.document_size == len(PDF) and item.document_name == "guide juridique.pdf"
    assert other_client.get("/library/guide/document").status_code == 404  # a draft
    assert _change(client, item, "publish").status_code == 302

    assert "guide/document" in other_client.get("/library/guide?lang=fr").get_data(as_text=True)
    download = other_client.get("/library/guide/document")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in download.headers
    assert other_client.get("/library/vos-droits/document").status_code == 404  # no such item


def _file(data: bytes):
    import io

    return io.BytesIO(data)


@pytest.mark.parametrize(("upload", "message"), [
    ((b"<html><script>alert(1)</script></html>", "guide.pdf"), "Upload a PDF document."),
    ((b"%PDF-" + b"0" * (library.MAX_DOCUMENT_BYTES), "big.pdf"), "larger than 5 MB"),
    (None, "This field is required."),
])
def test_a_document_that_is_not_a_small_pdf_is_refused_and_the_form_kept(client, world, upload, message):
    login(client, world.coordinator)
    fields = {"slug": "guide", "title": "Typed guide title"}
    if upload is not None:
        fields["document"] = (_file(upload[0]), upload[1])
    response = _new(client, "document", **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "Typed guide title" in html
    assert _count() == 0


def test_an_upload_far_too_large_is_cut_off_before_it_is_read(client, world):
    """Past MAX_CONTENT_LENGTH (12 MB) no body is read, on any page."""
    login(client, world.coordinator)
    response = _new(client, "document", slug="huge", document=(_file(b"%PDF-" + b"0" * (13 * 1024 * 1024)), "h.pdf"))
    assert response.status_code == 413
    assert _count() == 0


@pytest.mark.parametrize(("slug", "message"), [
    ("manage", "Use lower-case Latin letters"),
    ("Vos Droits", "Use lower-case Latin letters"),
    ("../etc", "Use lower-case Latin letters"),
    ("taken", "This value is already used."),
])
def test_a_bad_or_taken_address_is_refused_and_the_text_kept(client, world, slug, message):
    login(client, world.coordinator)
    assert _new(client, slug="taken").status_code == 302
    response = _new(client, slug=slug, body_markdown="Typed body to keep")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "Typed body to keep" in html
    assert _count() == 1


def test_an_edit_made_on_an_older_version_is_refused_and_keeps_what_she_typed(client, other_client, world):
    login(client, world.coordinator)
    _new(client)
    item = _item()
    page = f"/library/manage/{item.id}"
    stale_token = csrf_token(client, page)
    login(other_client, world.regional_coordinator)
    token = csrf_token(other_client, page)
    assert other_client.post(page, data={**ARTICLE, "title": "Changed by a colleague", "version": "1",
                                         "csrf_token": token}).status_code == 302

    response = client.post(page, data={**ARTICLE, "body_markdown": "My typed text", "version": "1",
                                       "csrf_token": stale_token})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this page" in html and "My typed text" in html
    current = _item()
    assert current.title == "Changed by a colleague" and current.version == 2
    assert current.body_markdown == ARTICLE["body_markdown"]
    assert 'name="version" type="hidden" value="2"' in html  # she may save again, knowingly


def test_publishing_a_version_changed_since_is_refused(client, world):
    login(client, world.coordinator)
    _new(client)
    item = _item()
    response = _change(client, item, "publish", version=item.version - 1)
    assert response.status_code == 302
    assert "Someone else changed this page" in client.get("/library/manage").get_data(as_text=True)
    assert not _item().published and _item().version == item.version


def test_a_published_page_is_unpublished_before_it_is_deleted(client, other_client, world):
    item = _published(client, world)
    assert _change(client, item, "delete").status_code == 302
    assert _item() is not None
    assert "Unpublish this page before deleting it." in client.get("/library/manage").get_data(as_text=True)
    assert _change(client, item, "unpublish").status_code == 302
    assert _change(client, _item(), "delete").status_code == 302
    assert _item() is None
    assert other_client.get("/library/vos-droits?lang=fr").status_code == 404


def test_help_by_region_lists_how_to_call_never_where_to_go(client, world):
    world.assoc_b.address = "12 rue secrète, refuge"
    world.assoc_b.phone = "+212 522 000 000"
    db.session.commit()
    html = client.get(f"/library/help?region_id={world.r1.id}&lang=fr").get_data(as_text=True)
    for code in ("assoc_a", "assoc_b", "police"):
        assert getattr(world, code).name("fr") in html
    assert world.hospital.name("fr") not in html  # region two
    assert "+212 522 000 000" in html and 'href="tel:+212522000000"' in html
    assert "rue secrète" not in html
    nothing = client.get("/library/help?lang=fr").get_data(as_text=True)
    assert world.assoc_a.name("fr") not in nothing  # a region is chosen first
