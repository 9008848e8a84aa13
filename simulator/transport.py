"""In-process mount: a `requests` adapter that hands each request to the simulator core.

The real management clients keep their whole pipeline (auth, retries, LRO polling, deserialization):
    RequestsTransport(session=in_process_session(sim), session_owner=False)
The base URL must still be https://.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from simulator.core import Simulator

BASE_URL = "https://management.simulator.local"


class SimulatorAdapter(BaseAdapter):
    def __init__(self, simulator: Simulator) -> None:
        super().__init__()
        self.simulator = simulator

    def send(  # noqa: PLR0917 - requests' adapter signature
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {"Host": url.netloc, **dict(request.headers)}
        answer = self.simulator.handle(request.method or "GET", url.path, url.query, headers, bytes(body))
        if answer.drop:
            raise requests.ConnectionError("simulated dropped connection", request=request)
        return requests_response(request, answer.status, answer.headers, answer.body)

    def close(self) -> None:
        pass


def requests_response(request: requests.PreparedRequest, status: int, headers: Mapping[str, str], body: bytes) -> requests.Response:
    """An answer as `requests` (and so azure-core's RequestsTransport) would have received it."""
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict({**headers, "Content-Length": str(len(body))})
    response._content = body
    # azure-core's transport reads `raw` (a urllib3 response) for content-length checks and streaming.
    response.raw = urllib3.HTTPResponse(body=io.BytesIO(body), headers=dict(response.headers), status=status, preload_content=False)
    response.url = request.url or ""
    response.request = request
    response.reason = "OK" if status < 400 else "Error"
    response.encoding = "utf-8"
    return response


def in_process_session(simulator: Simulator) -> requests.Session:
    session = requests.Session()
    session.mount("https://", SimulatorAdapter(simulator))
    return session


def in_process_httpx(simulator: Simulator) -> Any:
    """An httpx2 transport for the `openai` client (Azure OpenAI's data plane): each request goes to the
    simulator with its host, as the in-process `requests` adapter does for ARM."""
    import httpx2

    def handle(request: httpx2.Request) -> httpx2.Response:
        headers = {"Host": request.url.host, **dict(request.headers)}
        answer = simulator.handle(request.method, request.url.path, request.url.query.decode(), headers, request.read())
        if answer.drop:
            raise httpx2.ConnectError("simulated dropped connection", request=request)
        return httpx2.Response(answer.status, headers=answer.headers, content=answer.body, request=request)

    return httpx2.MockTransport(handle)
