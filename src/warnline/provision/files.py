"""Writing a node's files: secrets private from the first byte, replaced whole or not at all."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from warnline.errors import ConfigError


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600 through a temporary file and `os.replace`, so a
    reader (or a crash) sees the old file or the new one, never half of one, and the content
    is never readable by others, not even for a moment."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None
    _sync_dir(path.parent)


def _sync_dir(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every filesystem allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def new_password() -> str:
    """A generated password: 128 bits, URL-safe, easy to paste."""
    return secrets.token_urlsafe(16)


def read_password(path: Path) -> str:
    """The password in `path` (one line; a trailing newline is not part of it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"--password-file {path}: cannot read: {why}") from None
    password = text.removesuffix("\n").removesuffix("\r")
    if not password or "\n" in password:
        raise ConfigError(f"--password-file {path}: must hold one non-empty line")
    return password
