"""Domain errors: each carries a stable `code` (the API contract) and a translated `detail`.

Services raise them; the API turns them into `{"code": ..., "detail": ...}` with `status`, the pages
into a message. A refusal that comes from a legal or charter rule names it in `rule`.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    default_code: str = "invalid"

    def __init__(
        self,
        detail: Any,
        *,
        code: str | None = None,
        status: int | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.detail = detail
        self.code = code or self.default_code
        if status is not None:
            self.status = status
        self.rule = rule


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    default_code = "permission_denied"


class NotVerified(DomainError):
    status = 403
    default_code = "not_verified"


class NotEligible(DomainError):
    status = 403
    default_code = "not_eligible"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"


class InvalidTransition(Conflict):
    default_code = "invalid_transition"


class RuleViolation(DomainError):
    """A rule of law or of the charter forbids it; `rule` names the article."""

    status = 400
    default_code = "rule_violation"
