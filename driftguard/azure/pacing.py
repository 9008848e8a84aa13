"""Client-side pacing of ARM reads, so that a deep sweep stays inside ARM's read budget.

ARM throttles each principal per subscription with a token bucket: 250 reads, refilled at 25 a second,
answering 429 with `Retry-After` beyond that. azure-core retries a 429 (a few times), but a sweep that
runs into the limit spends its retries and the bucket the event path needs (same principal). So the
sweep keeps its own, smaller bucket per subscription and waits for a token before each GET: it never
asks faster than ARM allows, and leaves headroom for the event handler running meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy

# ARM allows 250 then 25/s; a fifth is left to the event path, which reads as the same principal.
BURST = 200
PER_SECOND = 20.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


class ReadPacer:
    """A token bucket per subscription. `take` reserves a token and returns how long to wait for it,
    so that threads reading one subscription queue up fairly instead of racing for refills."""

    def __init__(self, *, burst: int = BURST, per_second: float = PER_SECOND, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.per_second = per_second
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def take(self, subscription: str) -> float:
        with self._lock:
            now = self._clock()
            bucket = self._buckets.setdefault(subscription, _Bucket(float(self.burst), now))
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.per_second)
            bucket.updated = now
            bucket.tokens -= 1
            return 0.0 if bucket.tokens >= 0 else -bucket.tokens / self.per_second

    def wait(self, subscription: str) -> None:
        delay = self.take(subscription)
        if delay > 0:
            time.sleep(delay)


def subscription_of(url: str) -> str | None:
    """The subscription a request is counted against: the `/subscriptions/{id}` its path starts with."""
    parts = urlsplit(url).path.split("/")
    if len(parts) > 2 and parts[1].lower() == "subscriptions" and parts[2]:
        return parts[2].lower()
    return None


class PacingPolicy(HTTPPolicy[Any, Any]):
    """Each GET to a subscription waits for its token. Placed after azure-core's retry policy, so that
    a retried attempt is paced too: ARM counts every request it receives."""

    def __init__(self, pacer: ReadPacer) -> None:
        super().__init__()
        self.pacer = pacer

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        http = request.http_request
        subscription = subscription_of(http.url) if http.method.upper() == "GET" else None
        if subscription is not None:
            self.pacer.wait(subscription)
        return self.next.send(request)
