"""`io_floor_s`: what a benchmark's I/O costs with nothing judged — the same requests, fetched and
decoded, no rules, no store. The gap between a benchmark's wall time and its floor is DriftGuard's own.

Two ways to get the same requests: an inventory is simply drained (its pages, the ARM reads a deep sweep
makes per account, and the child data the rules would have asked for, through the same clients and the
same pacing); anything else is recorded on the `requests` session its clients share and sent again
through an azure-core pipeline (retries honouring Retry-After, as the clients have).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import requests
from azure.core import PipelineClient
from azure.core.pipeline.policies import RetryPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse

from driftguard.inventory import Inventory
from driftguard.rules.base import RuleMeta

# Another principal than the measured run's: the throttling simulator keeps one budget per principal,
# and the floor must not pay for what the run spent.
FLOOR_TOKEN = "sim:f1002f10-0000-4000-8000-000000000f10"


def drain(inventory: Inventory, metas: Iterable[RuleMeta]) -> float:
    """Seconds to read everything an evaluation of `metas` over `inventory` reads: every resource, then
    each kind of child data for the resources whose rules require it, as the engine asks for it."""
    wanted: dict[str, set[str]] = {}
    for meta in metas:
        for kind in meta.requires:
            wanted.setdefault(kind, set()).update(t.lower() for t in meta.resource_types)
    ids: dict[str, list[str]] = {kind: [] for kind in wanted}
    started = time.perf_counter()
    for resource in inventory.resources():
        rtype = str(resource.get("type", "")).lower()
        for kind, types in wanted.items():
            if rtype in types:
                ids[kind].append(str(resource["id"]))
    for kind, kind_ids in ids.items():
        inventory.related(kind, kind_ids)
    return time.perf_counter() - started


@dataclass(frozen=True)
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


class Recorder:
    """Records every request sent through `session` while `on` (a `requests` response hook)."""

    KEPT = ("Content-Type",)  # not If-Match: the etag has moved on since, and a 412 costs less than the real answer

    def __init__(self, session: requests.Session) -> None:
        self.sent: list[Sent] = []
        self.on = False
        session.hooks["response"].append(self._hook)

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        request = response.request
        if self.on:
            body = request.body.encode() if isinstance(request.body, str) else request.body
            headers = {k: str(request.headers[k]) for k in self.KEPT if k in request.headers}
            self.sent.append(Sent(str(request.method), str(request.url), headers, body))
        return response


def replay(
    sent: Iterable[Sent], session: requests.Session, *, connection_verify: str | None = None, after_each: Callable[[], None] | None = None
) -> float:
    """Seconds to send `sent` again, in order, and decode each answer's JSON."""
    options: dict[str, Any] = {"session": session, "session_owner": False}
    if connection_verify is not None:
        options["connection_verify"] = connection_verify
    client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
        "https://replay.invalid", policies=[RetryPolicy()], transport=RequestsTransport(**options)
    )
    started = time.perf_counter()
    for s in sent:
        headers = {**s.headers, "Authorization": f"Bearer {FLOOR_TOKEN}"}
        response = client.send_request(HttpRequest(s.method, s.url, headers=headers, content=s.body))
        content = response.read()
        if content and "json" in (response.headers.get("Content-Type") or ""):
            json.loads(content)
        if after_each is not None:
            after_each()
    return time.perf_counter() - started
