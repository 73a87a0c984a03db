"""Domain objects <-> JSON-ready dicts, for journal payloads and the API.

Out: pydantic's TypeAdapter dumps stdlib dataclasses without the domain types
depending on it. Back in: msgspec rebuilds them (it runs each `__post_init__`, so a
domain type's own checks still hold) at a third to a tenth of pydantic's cost; the
decision loop rebuilds every report it takes from the journal, so this is on the hot
path. Both agree on every payload of an exercise's and a load test's journal (tested).
A type msgspec cannot build falls back to pydantic. Adapters are built once per type.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from pydantic import TypeAdapter

T = TypeVar("T")


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}
_BY_PYDANTIC: set[type[Any]] = set()


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
    if tp not in _BY_PYDANTIC:
        try:
            return msgspec.convert(data, tp)
        except msgspec.ValidationError as exc:
            raise ValueError(f"not a {tp.__name__}: {exc}") from exc
        except TypeError:  # a type msgspec does not support: pydantic from now on
            _BY_PYDANTIC.add(tp)
    out: T = _adapter(tp).validate_python(data)
    return out
