"""What agencies offer, and where: the service directory."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .vocab import Role, ServiceCategory, enum_column

service_regions = Table(
    "service_regions",
    db.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_service_regions_region_id", "region_id"),
)

#: Languages a service can be received in (ISO 639): Arabic (with Darija), Tamazight, French,
#: English, Spanish. A woman who speaks only Tamazight needs to know before she travels.
SERVICE_LANGUAGES = ("ar", "zgh", "fr", "en", "es")


class ServiceLanguage(db.Model):
    __tablename__ = "service_languages"
    __table_args__ = (Index("ix_service_languages_language", "language"),)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(3), primary_key=True)


class Service(db.Model):
    __tablename__ = "services"
    __table_args__ = (Index("ix_services_category_active", "category", "active"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    category: Mapped[ServiceCategory] = mapped_column(enum_column(ServiceCategory, "service_category"))
    name_ar: Mapped[str] = mapped_column(String(300))
    name_fr: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    agency: Mapped["Agency"] = relationship(back_populates="services")  # noqa: F821
    regions: Mapped[list["Region"]] = relationship(secondary=service_regions)  # noqa: F821
    language_rows: Mapped[list[ServiceLanguage]] = relationship(cascade="all, delete-orphan",
                                                                order_by=ServiceLanguage.language)

    @property
    def languages(self) -> list[str]:
        return [row.language for row in self.language_rows]

    @languages.setter
    def languages(self, codes) -> None:
        wanted = [c for c in SERVICE_LANGUAGES if c in set(codes or ())]
        kept = [row for row in self.language_rows if row.language in wanted]
        have = {row.language for row in kept}
        self.language_rows = kept + [ServiceLanguage(language=c) for c in wanted if c not in have]

    def name(self, locale: str) -> str:
        return getattr(self, f"name_{locale}", None) or self.name_en


class EmergencyEligibility(db.Model):
    """Who may ask for emergency access: staff holding `role` in an agency offering `category`.

    Set by the administrator (`/admin/emergency-access`); the defaults (shelter, medical, post-rape
    care, police protection; caseworkers and officers) come with the migration that made the table.
    """

    __tablename__ = "emergency_eligibility"
    service_category: Mapped[ServiceCategory] = mapped_column(enum_column(ServiceCategory, "service_category"),
                                                              primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)
