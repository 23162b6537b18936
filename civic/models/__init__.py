from civic.models.audit import AuditEntry
from civic.models.events import DomainEvent, EventDelivery, EventDeliveryStatus
from civic.models.follows import Follow, NotificationPreference
from civic.models.jobs import JobState, StaffJob
from civic.models.legal import AccessibilityStatus, AuditIdentity, LegalSettings
from civic.models.notifications import Notification, NotificationStatus
from civic.models.oidc import (
    DeskCloseReason,
    DeskReason,
    DeskRequest,
    DeskRequestOutcome,
    OidcBindMethod,
    OidcIdentity,
)
from civic.models.register import (
    District,
    EntryKind,
    RegisterEntry,
    RegisterImport,
    RegisterStrikeOff,
    StrikeOffReason,
)
from civic.models.tokens import ApiToken
from civic.models.users import User, VerificationMethod
from civic.models.webhooks import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscriber,
)

__all__ = [
    "AccessibilityStatus",
    "ApiToken",
    "AuditEntry",
    "AuditIdentity",
    "DeliveryStatus",
    "DeskCloseReason",
    "DeskReason",
    "DeskRequest",
    "DeskRequestOutcome",
    "District",
    "DomainEvent",
    "EntryKind",
    "EventDelivery",
    "EventDeliveryStatus",
    "Follow",
    "JobState",
    "LegalSettings",
    "Notification",
    "NotificationPreference",
    "NotificationStatus",
    "OidcBindMethod",
    "OidcIdentity",
    "RegisterEntry",
    "RegisterImport",
    "RegisterStrikeOff",
    "StaffJob",
    "StrikeOffReason",
    "User",
    "VerificationMethod",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscriber",
]
