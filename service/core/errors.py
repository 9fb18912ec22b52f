"""The DomainError family. Services raise these; one handler renders RFC 9457.

This module is the one table of problem types: each class gives its status, its stable
``type`` slug (the full URI is ``PROBLEM_BASE + slug``) and its title. The handlers
(``service.core.problems``) and the declared error responses (``service.core.responses``)
take them from here.
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar

PROBLEM_BASE = "https://clearfile.example/problems/"


@dataclass(frozen=True)
class FieldError:
    field: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        pointer = "#/" + self.field.replace(".", "/") if self.field else "#"
        return {"field": self.field, "pointer": pointer, "detail": self.detail}


@dataclass
class DomainError(Exception):
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __str__(self) -> str:
        return self.detail


class MalformedBody(DomainError):
    status = 400
    slug = "malformed-body"
    title = "The request body is not parseable JSON"


class Unauthenticated(DomainError):
    status = 401
    slug = "unauthenticated"
    title = "A valid API key is required"


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "The action is refused"


class RoleNotPermitted(Forbidden):
    slug = "role-not-permitted"
    title = "This role may not perform this action"


class ConsentRevoked(Forbidden):
    slug = "consent-revoked"
    title = "The consent was revoked"


class ConsentExpired(Forbidden):
    slug = "consent-expired"
    title = "The consent has expired"


class PurposeNotCovered(Forbidden):
    slug = "purpose-not-covered"
    title = "The consent does not cover this purpose"


class ScopeNotCovered(Forbidden):
    slug = "scope-not-covered"
    title = "The consent does not cover this kind of read"


class FileFrozen(Forbidden):
    slug = "file-frozen"
    title = "The file is frozen for new credit"


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class ConsentNotFound(NotFound):
    slug = "consent-not-found"
    title = "No such consent for this lender"


class MethodNotAllowed(DomainError):
    status = 405
    slug = "method-not-allowed"
    title = "The method is not allowed on this path"


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "The request conflicts with the current state"


class IdempotencyKeyReused(Conflict):
    slug = "idempotency-key-reused"
    title = "The Idempotency-Key was already used with another request"


class StaleUpdate(Conflict):
    slug = "stale-update"
    title = "The update is older than what the file holds"


class InvalidInput(DomainError):
    status = 422
    slug = "validation-error"
    title = "The request is not valid"


class ProhibitedDataCategory(InvalidInput):
    slug = "prohibited-data-category"
    title = "The request carries data Clearfile may not hold"


class Metro2Unreadable(InvalidInput):
    slug = "metro2-unreadable"
    title = "The body is not a readable Metro 2 character-format file"


class PackedMetro2(InvalidInput):
    slug = "metro2-packed-format"
    title = "Packed-format Metro 2 is not accepted; send the 426-byte character format"


class Metro2Invalid(InvalidInput):
    slug = "metro2-invalid"
    title = "The Metro 2 file has errors that refuse it as a whole"


class UrlNotAllowed(InvalidInput):
    slug = "url-not-allowed"
    title = "The URL resolves to an address the sandbox operator does not allow"


class PayloadTooLarge(DomainError):
    status = 413
    slug = "payload-too-large"
    title = "The request body is too large"


class UnsafeExposure(DomainError):
    status = 503
    slug = "unsafe-exposure"
    title = "The server is exposed with unsafe settings"


class InternalError(DomainError):
    status = 500
    slug = "internal-error"
    title = "Internal error"


#: The problem type a bare status stands for: the answer to an HTTP error raised outside a
#: service (an unknown path, a wrong method) and the example an operation's declared
#: response shows. Forbidden itself is never raised: only its named kinds (the role, or a
#: consent, purpose, scope, expiry or freeze that refuses the read).
BY_STATUS: dict[int, type[DomainError]] = {
    400: MalformedBody,
    401: Unauthenticated,
    403: RoleNotPermitted,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    422: InvalidInput,
    500: InternalError,
    503: UnsafeExposure,
}
