from civic.models.audit import AuditEntry
from civic.models.notifications import Notification, NotificationStatus
from civic.models.register import District, EntryKind, RegisterEntry, RegisterImport
from civic.models.users import User, VerificationMethod

__all__ = [
    "AuditEntry",
    "District",
    "EntryKind",
    "Notification",
    "NotificationStatus",
    "RegisterEntry",
    "RegisterImport",
    "User",
    "VerificationMethod",
]
