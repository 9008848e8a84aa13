"""Throttling as Azure does it, so that a sweep that would be throttled in Azure is throttled here.

- Resource Manager: a token bucket per principal and subscription, one for reads, one for writes and
  one for deletes: reads hold 250 and refill 25 a second, writes and deletes hold 200 and refill 10 a
  second (ARM "Understand how Azure Resource Manager throttles requests"). Every answer carries
  `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}`; an empty bucket answers 429 with
  `Retry-After` in seconds.
- Resource Graph: 15 queries per 5-second window per user, with `x-ms-user-quota-remaining` and
  `x-ms-user-quota-resets-after` (hh:mm:ss) on every answer (Resource Graph "Guidance for throttled
  requests").
The clock is injectable so that tests can move time instead of waiting.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    reads: tuple[float, float] = (250, 25)  # (bucket size, refill per second)
    writes: tuple[float, float] = (200, 10)
    deletes: tuple[float, float] = (200, 10)
    graph_queries: int = 15
    graph_window_s: float = 5.0


@dataclass
class _Bucket:
    size: float
    rate: float
    tokens: float
    at: float

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one is there."""
        self.tokens = min(self.size, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class Verdict:
    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)
    retry_after_s: int = 0


class Throttle:
    def __init__(self, limits: Limits | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or Limits()
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}
        self._graph: dict[str, deque[float]] = {}
        self.throttled = 0

    def arm(self, principal: str, subscription: str, method: str) -> Verdict:
        kind = "reads" if method in ("GET", "HEAD") else "deletes" if method == "DELETE" else "writes"
        size, rate = getattr(self.limits, kind)
        now = self.clock()
        with self._lock:
            key = (principal.lower(), subscription.lower(), kind)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(size, rate, size, now)
            wait = bucket.take(now)
            remaining = int(bucket.tokens)
            if wait:
                self.throttled += 1
        headers = {f"x-ms-ratelimit-remaining-subscription-{kind}": str(remaining)}
        if wait:
            seconds = max(1, math.ceil(wait))
            return Verdict(False, {**headers, "Retry-After": str(seconds)}, seconds)
        return Verdict(True, headers)

    def graph(self, principal: str) -> Verdict:
        now = self.clock()
        window = self.limits.graph_window_s
        with self._lock:
            sent = self._graph.setdefault(principal.lower(), deque())
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) >= self.limits.graph_queries:
                resets = sent[0] + window - now
                self.throttled += 1
                seconds = max(1, math.ceil(resets))
                return Verdict(
                    False,
                    {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": _hms(resets), "Retry-After": str(seconds)},
                    seconds,
                )
            sent.append(now)
            remaining = self.limits.graph_queries - len(sent)
            resets = sent[0] + window - now
        return Verdict(True, {"x-ms-user-quota-remaining": str(remaining), "x-ms-user-quota-resets-after": _hms(resets)})


def _hms(seconds: float) -> str:
    whole = max(0, math.ceil(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
