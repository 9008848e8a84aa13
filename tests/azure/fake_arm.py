"""A tiny scripted ARM behind the real azure-core pipeline, for the writer's long-running operations.

The simulator is being rewritten; these tests pin the writer to what Microsoft's specs and the ARM async
operation docs say instead. `FakeArm` is a requests adapter mounted for every `https://` host (as
`simulator/transport.py` mounts the simulator), so a request to any host is seen and recorded: a test can
prove that the bearer token never went to a host other than ARM's.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter

from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential
from simulator.transport import requests_response

BASE_URL = "https://management.fake.local"
ACCOUNT = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"
DEPLOYMENT = f"{ACCOUNT}/deployments/gpt"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    method: str
    host: str
    path: str
    at: float
    authorized: bool


# An answer, or a function of the time since the fake started that returns one.
Script = Answer | Callable[[float], Answer]


class FakeArm(BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.started = time.monotonic()
        self.seen: list[Seen] = []
        self._scripts: dict[tuple[str, str], list[Script]] = defaultdict(list)

    def on(self, method: str, url: str, *answers: Script) -> None:
        """Answers for `method url` (a path on the ARM host, or an absolute URL), one per request; the
        last one repeats."""
        parts = urlsplit(url if url.startswith("https://") else BASE_URL + url)
        self._scripts[(method.upper(), f"{parts.netloc}{parts.path}".lower())].extend(answers)

    def calls(self, method: str, url: str) -> list[Seen]:
        parts = urlsplit(url if url.startswith("https://") else BASE_URL + url)
        return [s for s in self.seen if s.method == method.upper() and f"{s.host}{s.path}".lower() == f"{parts.netloc}{parts.path}".lower()]

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        method = (request.method or "GET").upper()
        now = time.monotonic() - self.started
        self.seen.append(Seen(method, url.netloc, url.path, now, "authorization" in {k.lower() for k in request.headers}))
        queue = self._scripts.get((method, f"{url.netloc}{url.path}".lower()))
        if not queue:
            answer = Answer(404, {"error": {"code": "NotFound", "message": f"the fake has no answer for {method} {url.path}"}})
        else:
            script = queue.pop(0) if len(queue) > 1 else queue[0]
            answer = script(now) if callable(script) else script
        body = b"" if answer.body is None else json.dumps(answer.body).encode()
        return requests_response(request, answer.status, {"Content-Type": "application/json", **answer.headers}, body)

    def close(self) -> None:
        pass

    def raw_arm(self) -> RawArm:
        session = requests.Session()
        session.mount("https://", self)
        return RawArm(ArmConnection(BASE_URL, StaticTokenCredential(), session=session, polling_interval=0, retry_backoff_factor=0))
