"""Typed API errors: what the API server said, in words the controllers can act on.

The Kubernetes client raises one `ApiException` for every HTTP failure. Controllers must not
import the client (import-linter), and each failure means something different to them: a
missing object is waited for, a conflict is retried on fresh state (never written into status),
an object the API server refuses is reported in a condition that names the object and the field,
a forbidden write names the permission, a throttled or unavailable server is retried with
backoff. `api_error()` turns the client's exception into one of these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Cause:
    """One field-level cause of an InvalidError error, as in metav1.StatusCause."""

    field: str
    message: str
    reason: str = ""


@dataclass(eq=False)
class ApiError(Exception):
    """A request the API server did not carry out; `what` names the object ("Kind ns/name")."""

    status: int
    reason: str
    message: str
    what: str = ""
    causes: list[Cause] = field(default_factory=list)
    also: list[str] = field(default_factory=list)
    """Other objects of the same batch refused too, one sentence each (so one edit fixes all)."""

    def __str__(self) -> str:
        where = f"{self.what}: " if self.what else ""
        return f"{where}{self.message}"

    @property
    def retryable(self) -> bool:
        """Whether trying the same request again later may succeed."""
        return False


class NotFoundError(ApiError):
    """The object (or its kind) does not exist."""


class ConflictError(ApiError):
    """The object changed since it was read, or already exists: retry on fresh state."""

    @property
    def retryable(self) -> bool:
        return True


class InvalidError(ApiError):
    """The API server refused the object: schema, admission or a validation rule; `causes`
    name the fields."""

    def fields(self) -> str:
        """The causes as one sentence, each with its field."""
        said = [f"{c.field}: {c.message}" if c.field else c.message for c in self.causes]
        return "; ".join(said) or self.message


class ForbiddenError(ApiError):
    """RBAC or an admission policy refused the request to this identity."""


class UnavailableError(ApiError):
    """Throttled (429), timed out, or the server is unavailable (5xx, connection): retry."""

    @property
    def retryable(self) -> bool:
        return True


_BY_STATUS: dict[int, type[ApiError]] = {
    404: NotFoundError,
    409: ConflictError,
    410: ConflictError,
    422: InvalidError,
    400: InvalidError,
    403: ForbiddenError,
    401: ForbiddenError,
    429: UnavailableError,
}


def _body(text: Any) -> dict[str, Any]:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    try:
        parsed = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {"message": str(text or "")}
    return parsed if isinstance(parsed, dict) else {}


def api_error(status: int | None, body: Any, what: str = "") -> ApiError:
    """The typed error for an HTTP `status` and its metav1.Status `body` (JSON text or bytes)."""
    code = int(status or 0)
    data = _body(body)
    causes = [
        Cause(str(c.get("field") or ""), str(c.get("message") or ""), str(c.get("reason") or ""))
        for c in (data.get("details") or {}).get("causes") or []
    ]
    kind = _BY_STATUS.get(code) or (UnavailableError if code == 0 or code >= 500 else ApiError)
    message = str(data.get("message") or f"HTTP {code}")
    return kind(code, str(data.get("reason") or ""), message, what, causes)
