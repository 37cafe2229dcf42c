"""The awareness library: public articles and documents on rights, the law and where to get help.

Public information written by the network's coordinators; nothing here is about a survivor.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

LIBRARY_LANGUAGES = ("ar", "fr", "en")
LIBRARY_TOPICS = ("rights", "law", "help", "health", "other")
LIBRARY_KINDS = ("article", "document")


class LibraryItem(db.Model):
    __tablename__ = "library_items"
    __table_args__ = (
        # What the public list reads: one language, by topic and title.
        Index("ix_library_items_language_topic", "language", "topic", "title"),
        CheckConstraint("language IN ('ar', 'fr', 'en')", name="language_known"),
        CheckConstraint("topic IN ('rights', 'law', 'help', 'health', 'other')", name="topic_known"),
        CheckConstraint("kind IN ('article', 'document')", name="kind_known"),
        CheckConstraint("(kind = 'article' AND body_markdown IS NOT NULL) OR "
                        "(kind = 'document' AND document IS NOT NULL)", name="content_present"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Its address on the public site (/library/<slug>): lower-case words and hyphens.
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    language: Mapped[str] = mapped_column(String(2))
    topic: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(String(500))
    #: An article's text, in Markdown (rendered with raw HTML off, then sanitised).
    body_markdown: Mapped[str | None] = mapped_column(Text)
    #: A document's PDF, loaded only when it is downloaded.
    document: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    document_name: Mapped[str | None] = mapped_column(String(200))
    document_size: Mapped[int | None] = mapped_column(Integer)
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Bumped by every change: an edit made on an older version is refused, not merged.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
