"""What the reader and the validator report: a problem at a record, a field and positions."""

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """``error``: a bureau rejects the record (or the file); ``warning``: it is accepted,
    but something is probably wrong."""

    error = "error"
    warning = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: the record's number in the file (the header is record 1), the record
    or segment it is in (``header``, ``base``, ``J1``... ``trailer``, or ``file``), the field
    and its positions within the record (BDW excluded, appended segments counted from the
    record's first byte), the rule that found it, and what is wrong."""

    record: int
    segment: str
    field: str | None
    positions: str | None
    severity: Severity
    rule: str
    message: str
