"""Domain errors: a stable code, a zh-CN message and optional details.

The API renders them as problem JSON (RFC 9457), the CLI prints them and exits non-zero.
Codes are dotted and stable (``registry.uscc_invalid``); messages are for people and may change.
"""

from typing import Any


class DomainError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def to_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"urn:greensword:error:{self.code}",
            "title": self.message,
            "status": self.status,
            "code": self.code,
            "detail": self.message,
        }
        if self.details is not None:
            body["errors"] = self.details
        return body

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
