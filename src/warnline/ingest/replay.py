"""Each signed request is accepted once: nonces remembered for the signature window.

A nonce is kept only while its signature's creation time is inside the window; after
that the time check refuses the request anyway, so the memory is bounded by what a
partner can sign within the window, and a cap per partner keeps one partner from
filling it for the others. Only verified signatures are remembered: an outsider
cannot fill it at all.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta

from warnline.errors import RateLimitError, SignatureError

MAX_NONCES_PER_PARTNER = 100_000


class ReplayGuard:
    def __init__(self, *, window_s: float, max_per_partner: int = MAX_NONCES_PER_PARTNER) -> None:
        self.window = timedelta(seconds=window_s)
        self.max_per_partner = max_per_partner
        self._seen: dict[str, set[str]] = {}
        self._expiry: dict[str, list[tuple[datetime, str]]] = {}

    def remember(self, partner: str, nonce: str, created: datetime, now: datetime) -> None:
        """Record `nonce`, or raise SignatureError if this partner already used it."""
        seen = self._seen.setdefault(partner, set())
        heap = self._expiry.setdefault(partner, [])
        while heap and heap[0][0] < now:
            seen.discard(heapq.heappop(heap)[1])
        if nonce in seen:
            raise SignatureError(
                "this signed request was already accepted; sign each request anew",
                field="nonce",
            )
        if len(seen) >= self.max_per_partner:
            raise RateLimitError(
                f"more than {self.max_per_partner} signed requests within the signature window",
                field="nonce",
            )
        seen.add(nonce)
        heapq.heappush(heap, (created + self.window, nonce))

    def held(self, partner: str) -> int:
        return len(self._seen.get(partner, ()))
