"""Score receipts: every score issued, with what it was computed from.

A receipt holds the file snapshot the score was computed from (``inputs``), the day it was
computed for (``scored_on``) and the model version, so that ``service.scoring.receipts``
can recompute it to the same number at any later time; and what the subject was told:
the characteristic values, the points of each, the reasons (or why there is no score).
The JSON shapes are documented in ``service.scoring.receipts``.

(The published scorecards are the JSON files of the ``models/`` directory next to this
module; this module is the receipts' table.)
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, UTCDateTime


class ScoreReceipt(Base):
    """One score issued (or one refusal to score a thin file), reproducible from its row."""

    __tablename__ = "score_receipts"
    __table_args__ = (
        Index("ix_score_receipts_subject_id_computed_at", "subject_id", "computed_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    model_version: Mapped[str] = mapped_column(String(64))
    #: None when the file did not meet the minimum scoring criteria.
    score: Mapped[int | None] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The day the characteristics were computed for (windows and ages count from it).
    scored_on: Mapped[date] = mapped_column(Date)
    #: Why it was computed (``subject_access``, ``batch_scoring``, ...) and for whom.
    purpose: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(40))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    characteristics: Mapped[dict[str, Any]] = mapped_column(JSON)
    factors: Mapped[list[int]] = mapped_column(JSON)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    no_score_reasons: Mapped[list[Any]] = mapped_column(JSON)
