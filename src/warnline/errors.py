"""One error tree for Warnline; callers catch the branch they can handle.

    WarnlineError
    ├── ConfigError                the coalition agreement or a node config is invalid
    │   ├── AgreementError         names the field and the reason
    │   └── KeyMaterialError       a key or certificate file that cannot be used, and why
    ├── InputError                 a partner's submission is refused (-> RFC 9457 problem)
    │   ├── SchemaError            malformed body or field
    │   ├── SignatureError         missing, unknown-key or bad signature
    │   ├── StaleReportError       observation time too old or in the future
    │   ├── SanityError            physically implausible values
    │   ├── RateLimitError         the partner sends faster than agreed
    │   ├── PayloadTooLargeError   the body is larger than the node accepts
    │   └── ConflictError          valid, but not now (e.g. no open offer to answer)
    ├── AuthError                  unknown user, bad password, missing/expired session
    │   ├── ForbiddenError         authenticated but not allowed
    │   └── SignInDelayError       too many failed sign-ins from here: retry after a delay
    ├── NotFoundError              no such alert, track, ...
    ├── JournalError               the journal cannot store or read
    │   ├── JournalCorruptError    stored entries fail their hash chain
    │   └── SnapshotError          a snapshot cannot be written, or is not to be trusted
    ├── AuditError                 an audit record does not verify (names the entry)
    └── ChannelError               a channel could not hand over a delivery

Context goes in keyword arguments (`field`, `reason`, `entry`...), never only in text.
"""

from __future__ import annotations


class WarnlineError(Exception):
    """Root of every error Warnline raises on purpose."""


class ConfigError(WarnlineError):
    pass


class AgreementError(ConfigError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"agreement field {field!r}: {reason}")
        self.field = field
        self.reason = reason


class KeyMaterialError(ConfigError):
    """The caller knows which setting named `path`; it prefixes that to the message."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class InputError(WarnlineError):
    """Refused input; `title` and `status` shape the RFC 9457 problem document."""

    title = "Invalid input"
    status = 400
    type_slug = "invalid-input"

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.reason = reason
        self.field = field


class SchemaError(InputError):
    title = "Malformed submission"
    status = 422
    type_slug = "schema"


class SignatureError(InputError):
    title = "Signature not accepted"
    status = 401
    type_slug = "signature"


class StaleReportError(InputError):
    title = "Report time out of bounds"
    status = 422
    type_slug = "stale-report"


class SanityError(InputError):
    title = "Implausible report"
    status = 422
    type_slug = "sanity"


class RateLimitError(InputError):
    title = "Rate limit exceeded"
    status = 429
    type_slug = "rate-limit"


class PayloadTooLargeError(InputError):
    title = "Submission too large"
    status = 413
    type_slug = "too-large"


class ConflictError(InputError):
    title = "Conflict with the current state"
    status = 409
    type_slug = "conflict"


class AuthError(WarnlineError):
    status = 401


class ForbiddenError(AuthError):
    status = 403


class SignInDelayError(AuthError):
    """A sign-in tried before its delay ran out (-> 429 with Retry-After)."""

    status = 429

    def __init__(self, reason: str, *, retry_after_s: float) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class NotFoundError(WarnlineError):
    pass


class JournalError(WarnlineError):
    pass


class SnapshotError(JournalError):
    """A snapshot passed over (the reason says why) or one that cannot be taken."""


class JournalCorruptError(JournalError):
    """`seq` 0: the journal as a whole (its schema, seal or a follower's position)."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"journal entry {seq}: {reason}" if seq else f"journal: {reason}")
        self.seq = seq
        self.reason = reason


class AuditError(WarnlineError):
    def __init__(self, entry: int, reason: str) -> None:
        super().__init__(f"audit entry {entry}: {reason}")
        self.entry = entry
        self.reason = reason


class ChannelError(WarnlineError):
    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(f"{channel}: {reason}")
        self.channel = channel
        self.reason = reason
