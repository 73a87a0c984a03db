"""JSON that means one thing: a key given twice in one object is refused.

Parsers disagree on duplicate keys (most keep the last, some the first), so a body
with `"lat"` twice could be read one way by a partner's gateway or an auditor and
another way by the node. Pydantic keeps the last silently; this pass refuses it,
naming the key, before any model sees the body.
"""

from __future__ import annotations

import json
from typing import Any

from warnline.errors import SchemaError


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise SchemaError(f"duplicate key {key!r} in one JSON object", field=key)
            seen.add(key)
    return obj


def check_unique_keys(body: bytes) -> None:
    """Raise SchemaError naming the first key that appears twice in one object.
    Malformed JSON is left for the schema's own, more precise, message."""
    try:
        json.loads(body, object_pairs_hook=_unique)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, SchemaError):
            raise
