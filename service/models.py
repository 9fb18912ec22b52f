"""Every ORM model, imported so that ``Base.metadata`` knows the whole schema."""

from service.audit.models import AuditChainHead, AuditEvent
from service.core.clock import SandboxClock
from service.core.db import Base
from service.file.models import Inquiry, PublicRecord
from service.furnishing.models import Account, AccountVersion, IdempotencyRecord
from service.principals.models import ApiKey, Principal, Subject
from service.scoring.models import ScoreReceipt

__all__ = [
    "Account",
    "AccountVersion",
    "ApiKey",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "IdempotencyRecord",
    "Inquiry",
    "Principal",
    "PublicRecord",
    "SandboxClock",
    "ScoreReceipt",
    "Subject",
]
