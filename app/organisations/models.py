"""Member organisations: councils and other public bodies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import in_list
from app.extensions import db
from app.organisations.vocabulary import COUNCIL_TYPES, REGIONS


class Organisation(db.Model):
    """A member organisation with its region and council type."""

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(in_list("region", REGIONS), name="region_known"),
        CheckConstraint(in_list("council_type", COUNCIL_TYPES), name="council_type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region: Mapped[str] = mapped_column(String(40), index=True)
    council_type: Mapped[str] = mapped_column(String(40), index=True)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    members: Mapped[list[User]] = relationship(back_populates="organisation")  # noqa: F821

    @property
    def region_label(self) -> str:
        """The region as people write it."""
        return REGIONS.get(self.region, self.region)

    @property
    def council_type_label(self) -> str:
        """The council type as people write it."""
        return COUNCIL_TYPES.get(self.council_type, self.council_type)

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r}>"
