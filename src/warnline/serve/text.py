"""Text the node's config checks and start-up lines share: a suggestion for a misspelt
name, and an address as a URL writes it."""

from __future__ import annotations

import difflib


def did_you_mean(word: str, known: tuple[str, ...]) -> str:
    """ " (did you mean 'users'?)" for the closest known name, else the known names."""
    close = difflib.get_close_matches(word, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"


def netloc(host: str, port: int) -> str:
    """host:port, with an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
