"""The followers' folded state as bytes, and back: what a snapshot holds.

Every follower (the decision pipeline with its picture, incidents, alerting and lead
procedure; the dispatcher; the read-back log; escalation and channel health) is a plain
object whose attributes are its state, so the state is captured with pickle rather than
a codec per class: a field added to a fold next month is in the snapshot without anyone
remembering to add it. What the followers merely *use* (the agreement, the accounts,
the node's callbacks, the assessor's prepared geometries) is not state: pickling stops
at those objects and writes their name instead (`persistent_id`), and restoring puts the
running node's own objects in their place. Capturing one of them by value by mistake
(an `Agreement` or a journal that is not the node's) is an error, not a silent copy.

Pickle runs code on load, so these bytes are only ever decoded after the snapshot
store has checked their MAC (`journal/snapshots.py`). `code_fingerprint` ties a
snapshot to the exact source it was made by: another version replays instead.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import importlib.metadata
import io
import pickle
import platform
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from shapely.geometry.base import BaseGeometry

from warnline.errors import SnapshotError

__all__ = ["capture", "code_fingerprint", "context_fingerprint", "restore"]

PROTOCOL = 5
_LIBRARIES = ("numpy", "shapely", "scipy")


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 over every source file of the package and the versions of Python and of
    the numeric libraries whose objects a snapshot holds: a snapshot made by any other
    code is not trusted, even one a single line apart."""
    root = Path(__file__).parent
    h = hashlib.sha256(f"python {platform.python_version()} pickle {PROTOCOL}\n".encode())
    for lib in _LIBRARIES:
        try:
            h.update(f"{lib} {importlib.metadata.version(lib)}\n".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{lib} -\n".encode())
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def context_fingerprint(*parts: object) -> str:
    """SHA-256 of a canonical form of `parts` (the agreement, the accounts, settings):
    state folded under one agreement is not the state another would have folded."""
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(_canonical(part)).encode())
        h.update(b"\0")
    return h.hexdigest()


def _canonical(obj: Any) -> Any:
    """A value whose repr is the same in every process (no set order, full geometry)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return (
            type(obj).__name__,
            tuple((f.name, _canonical(getattr(obj, f.name))) for f in dataclasses.fields(obj)),
        )
    if isinstance(obj, enum.Enum):
        return (type(obj).__name__, obj.value)
    if isinstance(obj, Mapping):
        return tuple(sorted((repr(_canonical(k)), _canonical(v)) for k, v in obj.items()))
    if isinstance(obj, set | frozenset):
        return ("set", tuple(sorted(repr(_canonical(v)) for v in obj)))
    if isinstance(obj, list | tuple):
        return tuple(_canonical(v) for v in obj)
    if isinstance(obj, BaseGeometry):
        return ("geometry", obj.wkb_hex)
    if isinstance(obj, datetime):
        return obj.isoformat()
    return obj


class _Pickler(pickle.Pickler):
    def __init__(
        self, file: io.BytesIO, names: Mapping[int, str], forbidden: tuple[type, ...]
    ) -> None:
        super().__init__(file, protocol=PROTOCOL)
        self._names = names
        self._forbidden = frozenset(forbidden)

    def persistent_id(self, obj: Any) -> str | None:
        name = self._names.get(id(obj))
        if name is not None:
            return name
        if type(obj) in self._forbidden:
            raise SnapshotError(f"follower state holds a {type(obj).__name__} of its own")
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, objects: Mapping[str, object]) -> None:
        super().__init__(file)
        self._objects = objects

    def persistent_load(self, pid: Any) -> object:
        if not isinstance(pid, str) or pid not in self._objects:
            raise SnapshotError(f"the snapshot refers to {pid!r}, which this node does not have")
        return self._objects[pid]


def capture(
    parts: Mapping[str, Mapping[str, Any]],
    collaborators: Mapping[str, object],
    *,
    forbidden: Iterable[type] = (),
) -> bytes:
    """`parts` (follower name -> its attributes) as bytes; `collaborators` are written
    by name; an object of a `forbidden` type met otherwise raises SnapshotError."""
    names = {id(obj): name for name, obj in collaborators.items()}
    buf = io.BytesIO()
    try:
        _Pickler(buf, names, tuple(forbidden)).dump({k: dict(v) for k, v in parts.items()})
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise SnapshotError(f"follower state cannot be captured: {exc}") from exc
    return buf.getvalue()


def restore(body: bytes, collaborators: Mapping[str, object]) -> dict[str, dict[str, Any]]:
    """The parts `capture` wrote, with this node's collaborators in place of the names.
    Only for bytes whose MAC has been checked (SnapshotError if they still do not load)."""
    try:
        parts = _Unpickler(io.BytesIO(body), collaborators).load()
    except SnapshotError:
        raise
    except Exception as exc:  # any failure of a verified body: replay instead
        raise SnapshotError(f"the snapshot does not load: {type(exc).__name__}: {exc}") from exc
    if not isinstance(parts, dict):
        raise SnapshotError("the snapshot does not hold follower state")
    return parts
