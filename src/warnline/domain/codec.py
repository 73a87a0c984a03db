"""Domain objects <-> JSON-ready dicts, for journal payloads and the API.

pydantic's TypeAdapter validates and converts stdlib dataclasses without the domain
types depending on it; adapters are built once per type.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter

T = TypeVar("T")


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(tp: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = TypeAdapter(tp)
    return adapter


def to_json(obj: Any) -> dict[str, Any]:
    """A JSON-ready dict of a domain dataclass."""
    out: dict[str, Any] = _adapter(type(obj)).dump_python(obj, mode="json")
    return out


def from_json(tp: type[T], data: Any) -> T:
    """Rebuild a domain dataclass from `to_json` output."""
    out: T = _adapter(tp).validate_python(data)
    return out
