"""The awareness library: public articles (Markdown) and documents (PDF) on rights, the law and
where to get help, written and published by the network's coordinators.

Everyone may read what is published, without an account; only coordinators write. An article's
Markdown is rendered with raw HTML off and the result passes an allow-list sanitiser: no script,
no style, no image (an image from elsewhere would tell a third party who reads the page), links
only to http(s), mail and phone.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup
from sqlalchemy import select

from ..audit.log import record
from ..extensions import db
from ..models import LibraryItem, User
from ..models.base import utcnow
from ..models.library import LIBRARY_KINDS, LIBRARY_LANGUAGES, LIBRARY_TOPICS
from ..policy import Action, require
from .errors import InputError

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_BODY_CHARS = 50_000
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Addresses of the library's own pages: no item may take them.
RESERVED_SLUGS = frozenset({"manage", "help", "new"})

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
# An image is shown as its description: a picture from elsewhere would tell its server who reads.
_markdown.add_render_rule("image", lambda self, tokens, idx, options, env: escapeHtml(
    self.renderInlineAsText(tokens[idx].children or [], options, env)))
_ALLOWED_TAGS = {"p", "br", "hr", "h2", "h3", "h4", "strong", "em", "ul", "ol", "li", "blockquote", "a", "code",
                 "pre"}


class StaleLibraryItem(ValueError):
    """The item changed since the coordinator opened it."""


def render_markdown(text: str) -> Markup:
    """Markdown to safe HTML. Headings start at level 2 (the page's title is the only h1)."""
    html = _markdown.render(text or "")
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    cleaned = nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                        url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer nofollow")
    return Markup(cleaned)  # noqa: S704 (sanitised just above)


def published_items(language: str, topic: str | None = None) -> list[LibraryItem]:
    query = (select(LibraryItem).where(LibraryItem.published.is_(True), LibraryItem.language == language)
             .order_by(LibraryItem.topic, LibraryItem.title))
    if topic:
        query = query.where(LibraryItem.topic == topic)
    return list(db.session.execute(query).scalars())


def published_item(slug: str) -> LibraryItem | None:
    return db.session.execute(select(LibraryItem).where(LibraryItem.slug == slug,
                                                        LibraryItem.published.is_(True))).scalar_one_or_none()


def all_items(user: User) -> list[LibraryItem]:
    require(user, Action.LIBRARY_MANAGE)
    return list(db.session.execute(select(LibraryItem).order_by(LibraryItem.language, LibraryItem.topic,
                                                                LibraryItem.title)).scalars())


def get_item(user: User, item_id: int) -> LibraryItem | None:
    require(user, Action.LIBRARY_MANAGE)
    return db.session.get(LibraryItem, item_id)


def save_item(user: User, item: LibraryItem | None, values: dict, *, kind: str | None = None,
              expected_version: int | None = None, document: bytes | None = None,
              document_name: str | None = None) -> LibraryItem:
    """Create (item None, `kind` given) or edit an article or a document. Everything is checked
    before anything is written; an edit made on an older version is refused."""
    require(user, Action.LIBRARY_MANAGE)
    kind = item.kind if item is not None else kind
    if kind not in LIBRARY_KINDS:
        raise InputError("kind", "unknown_value")
    if item is not None and expected_version != item.version:
        raise StaleLibraryItem()
    clean = _checked(values, kind, item)
    if kind == "document" and (document or item is None):
        clean.update(_checked_document(document, document_name))
    now = utcnow()
    created = item is None
    if created:
        item = LibraryItem(kind=kind, created_by_id=user.id, created_at=now, published=False, version=1)
        db.session.add(item)
    else:
        item.version += 1
    for name, value in clean.items():
        setattr(item, name, value)
    item.updated_by_id, item.updated_at = user.id, now
    db.session.flush()
    record("library.create" if created else "library.update", object_type="library_item", object_id=item.id,
           details={"slug": item.slug, "language": item.language, "kind": kind,
                    "fields": sorted(clean)})
    return item


def set_published(user: User, item: LibraryItem, published: bool, expected_version: int | None) -> LibraryItem:
    require(user, Action.LIBRARY_MANAGE)
    if expected_version != item.version:
        raise StaleLibraryItem()
    if item.published == published:
        return item
    item.published = published
    item.version += 1
    item.updated_by_id, item.updated_at = user.id, utcnow()
    record("library.publish" if published else "library.unpublish", object_type="library_item",
           object_id=item.id, details={"slug": item.slug})
    return item


def delete_item(user: User, item: LibraryItem, expected_version: int | None) -> None:
    require(user, Action.LIBRARY_MANAGE)
    if expected_version != item.version:
        raise StaleLibraryItem()
    if item.published:
        raise InputError("published", "unpublish_first")
    record("library.delete", object_type="library_item", object_id=item.id,
           details={"slug": item.slug, "title": item.title})
    db.session.delete(item)


def _checked(values: dict, kind: str, item: LibraryItem | None) -> dict:
    clean = {}
    slug = (values.get("slug") or "").strip().lower()
    if not slug:
        raise InputError("slug", "required")
    if len(slug) > 80 or not SLUG.match(slug) or slug in RESERVED_SLUGS:
        raise InputError("slug", "bad_slug")
    taken = db.session.execute(select(LibraryItem.id).where(LibraryItem.slug == slug)).scalar_one_or_none()
    if taken is not None and (item is None or taken != item.id):
        raise InputError("slug", "taken")
    clean["slug"] = slug
    for name, allowed in (("language", LIBRARY_LANGUAGES), ("topic", LIBRARY_TOPICS)):
        if values.get(name) not in allowed:
            raise InputError(name, "unknown_value")
        clean[name] = values[name]
    title = (values.get("title") or "").strip()
    if not title:
        raise InputError("title", "required")
    if len(title) > 200:
        raise InputError("title", "too_long")
    clean["title"] = title
    summary = (values.get("summary") or "").strip()
    if len(summary) > 500:
        raise InputError("summary", "too_long")
    clean["summary"] = summary or None
    if kind == "article":
        body = (values.get("body_markdown") or "").strip()
        if not body:
            raise InputError("body_markdown", "required")
        if len(body) > MAX_BODY_CHARS:
            raise InputError("body_markdown", "too_long")
        clean["body_markdown"] = body
    return clean


def _checked_document(data: bytes | None, filename: str | None) -> dict:
    if not data:
        raise InputError("document", "required")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError("document", "pdf_too_large")
    if not data.startswith(b"%PDF-"):
        raise InputError("document", "not_pdf")
    name = (filename or "document.pdf").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\- ]", "_", name)[:200] or "document.pdf"
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    return {"document": data, "document_name": name, "document_size": len(data)}
