"""The App Service managed identity endpoint, as the Functions host offers it to the app, serving the
simulator's tokens.

In Azure the host sets `IDENTITY_ENDPOINT` (plain http on localhost) and `IDENTITY_HEADER`, and
`DefaultAzureCredential` asks it for a token per resource, naming the user-assigned identity by
`client_id`. This endpoint speaks that protocol on 127.0.0.1 and answers with the simulator's bearer
tokens, so the app's own credential code runs unchanged: `sim:<object id>` for ARM, and for any
other audience `sim:<object id>:<object id>:<audience host>` (the simulator refuses an ARM token on the
data plane, as Azure does).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

ARM_AUDIENCES = frozenset({"management.azure.com", "management.core.windows.net"})


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if self.headers.get("X-IDENTITY-HEADER") != self.server.secret:
            self._answer(401, {"error": "unauthorized", "error_description": "X-IDENTITY-HEADER is missing or wrong"})
            return
        client_id = query.get("client_id") or ""
        principal = self.server.principals.get(client_id.lower())
        if principal is None:
            self._answer(400, {"error": "invalid_request", "error_description": f"no identity with client id {client_id!r}"})
            return
        resource = query.get("resource", "")
        audience = urlsplit(resource).netloc.lower() or resource.lower()
        token = f"sim:{principal}" if audience in ARM_AUDIENCES else f"sim:{principal}:{principal}:{audience}"
        with self.server.lock:
            self.server.issued.append((client_id, resource))
        self._answer(
            200,
            {"access_token": token, "expires_on": str(int(time.time()) + 3600), "resource": resource, "token_type": "Bearer"},
        )

    def _answer(self, status: int, body: Mapping[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    secret: str
    principals: dict[str, str]
    lock: threading.Lock
    issued: list[tuple[str, str]]


class IdentityEndpoint:
    """`with IdentityEndpoint({client_id: object_id, "": default_object_id}) as ep:` then set
    `IDENTITY_ENDPOINT=ep.url` and `IDENTITY_HEADER=ep.secret`. The key "" is the system-assigned
    identity (a request without client_id)."""

    def __init__(self, principals: Mapping[str, str]) -> None:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.secret = self.secret = secrets.token_hex(16)
        self._httpd.principals = {k.lower(): v for k, v in principals.items()}
        self._httpd.lock = threading.Lock()
        self._httpd.issued = self.issued = []
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/msi/token"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="identity-endpoint", daemon=True)

    def __enter__(self) -> IdentityEndpoint:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
