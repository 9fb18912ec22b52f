"""Every ORM model, imported so that ``Base.metadata`` knows the whole schema."""

from service.audit.models import AuditChainHead, AuditEvent
from service.consent.models import Consent, FraudAlert, Freeze
from service.core.clock import SandboxClock
from service.core.db import Base
from service.core.row_triggers import RowTriggerDeferral
from service.disputes.models import Dispute
from service.events.models import Event, EventWatermark
from service.file.models import Inquiry, ItemFlag, PublicRecord, Statement
from service.furnishing.models import Account, AccountRef, AccountVersion, IdempotencyRecord
from service.lending.models import Decision, LenderScore
from service.metro2.models import Metro2Import
from service.notices.models import Notice
from service.principals.models import ApiKey, NationalId, Principal, Subject
from service.scoring.models import ScoreReceipt
from service.web.models import WebSession
from service.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Account",
    "AccountRef",
    "AccountVersion",
    "ApiKey",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "Consent",
    "Decision",
    "Dispute",
    "Event",
    "EventWatermark",
    "FraudAlert",
    "Freeze",
    "IdempotencyRecord",
    "Inquiry",
    "ItemFlag",
    "Metro2Import",
    "NationalId",
    "LenderScore",
    "Notice",
    "Principal",
    "PublicRecord",
    "RowTriggerDeferral",
    "SandboxClock",
    "Statement",
    "ScoreReceipt",
    "Subject",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebSession",
]
