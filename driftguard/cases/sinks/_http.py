"""The one way a sink talks to its system: HTTPS to a confined destination, bounded in time and size,
every answer judged, and nothing logged.

It is built on `http.client`, not on requests and urllib3, because these properties then hold by
construction rather than by configuring a library's internals:

- The connection goes to an address judged just before connecting (`driftguard.destinations`): the
  name is resolved once, every address it resolves to is checked, and the socket is opened to one of
  those very addresses (TLS still verifies the name). A name that re-resolves to a private address
  (DNS rebinding) is refused before a byte, and so before any credential, is sent.
- Redirects are never followed: a 3xx is a failure, and no credential ever follows a `Location`.
- Nothing is logged: urllib3 logs every request line at DEBUG, and for Teams and webhooks the URL
  (its `sig=` signature) is the secret; `http.client` logs nothing. Error messages name the sink, the
  status or the exception type, never the URL, a header or the answer's body (which may echo them).
- No proxy or CA bundle comes from the environment.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import certifi

from driftguard.cases.sinks import SinkError
from driftguard.destinations import RefusedDestination, check_address, check_url

CONNECT_TIMEOUT_S = 5.0  # a slow sink must not hold the delivery timer
READ_TIMEOUT_S = 20.0
MAX_ANSWER = 1 << 20  # bytes: no ticket API answers more to these calls
# The answers a ticket API gives when it did what was asked. 203 is someone else's answer (Azure DevOps
# answers its sign-in page with 203 when a token has expired), and a 3xx is not followed.
ACCEPTED = frozenset({200, 201, 202, 204})
TRANSIENT = frozenset({408, 429})

# host, port -> the addresses it resolves to. Tests give their own answers; production asks DNS.
Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Certificates checked against Mozilla's roots (certifi, as requests did), or only `ca_file`'s."""
    context = ssl.create_default_context(cafile=ca_file or certifi.where())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@dataclass(frozen=True, slots=True)
class Answer:
    what: str
    status: int
    body: bytes

    def json_object(self) -> dict[str, Any]:
        """The JSON object the API answers; anything else (an HTML page, a proxy's text) is a failure,
        never a success whose result is unknown."""
        try:
            value = json.loads(self.body)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise SinkError(f"{self.what}: HTTP {self.status} with an answer that is not the JSON object the API returns", transient=False)
        return value

    def no_content(self) -> None:
        """The API answers this call with 204 and nothing else."""
        if self.status != 204 or self.body.strip():
            raise SinkError(f"{self.what}: HTTP {self.status} where the API answers 204 No Content", transient=False)


class _CheckedConnection(http.client.HTTPSConnection):
    """An HTTPS connection to one of the addresses already judged for `host`, never to a fresh lookup."""

    def __init__(self, host: str, port: int, *, addresses: list[str], tls: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=CONNECT_TIMEOUT_S, context=tls)
        self._addresses = addresses
        self._tls = tls

    def connect(self) -> None:
        error: OSError | None = None
        for address in self._addresses:
            try:
                sock = socket.create_connection((address, self.port), timeout=CONNECT_TIMEOUT_S)
            except OSError as e:
                error = e
                continue
            sock.settimeout(READ_TIMEOUT_S)
            try:
                self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)  # verifies the name, not the address
            except OSError:
                sock.close()
                raise
            return
        raise error or OSError("no address to connect to")


class SinkHttp:
    """One sink's HTTP: `what` names the sink in errors; `private_hosts` are the hosts that may
    resolve to private addresses (DRIFTGUARD_SINK_PRIVATE_HOSTS)."""

    def __init__(self, what: str, *, private_hosts: frozenset[str], ca_file: str | None = None, resolver: Resolver = resolve) -> None:
        self.what = what
        self._private_hosts = private_hosts
        self._tls = tls_context(ca_file)
        self._resolve = resolver

    def send(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        basic: tuple[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Answer:
        """Sends one request and returns an answer the API gives on success; SinkError otherwise
        (`transient` when trying again within the run can help)."""
        try:
            parts = check_url(url)
        except RefusedDestination as e:
            raise SinkError(f"{self.what}: destination refused: {e}", transient=False) from e
        host, port = parts.hostname or "", parts.port or 443
        addresses = self._addresses(host, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if params:
            target += ("&" if parts.query else "?") + urlencode(params)
        body = data if json_body is None else json.dumps(json_body).encode()
        sent = {"User-Agent": "DriftGuard", "Accept": "application/json", "Connection": "close"}
        if json_body is not None:
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        if basic is not None:
            sent["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        connection = _CheckedConnection(host, port, addresses=addresses, tls=self._tls)
        try:
            connection.request(method, target, body=body, headers=sent)
            response = connection.getresponse()
            status, content = response.status, response.read(MAX_ANSWER + 1)
        except (OSError, http.client.HTTPException, ValueError) as e:
            # The cause is dropped on purpose: http.client's messages can quote the URL or a header
            # value, and for Teams and webhooks the URL is the secret.
            raise SinkError(f"{self.what}: {type(e).__name__}", transient=not isinstance(e, ValueError)) from None
        finally:
            connection.close()
        if status not in ACCEPTED:
            raise SinkError(f"{self.what}: HTTP {status}", transient=status >= 500 or status in TRANSIENT)
        if len(content) > MAX_ANSWER:
            raise SinkError(f"{self.what}: HTTP {status} with an answer larger than {MAX_ANSWER} bytes", transient=False)
        return Answer(self.what, status, content)

    def _addresses(self, host: str, port: int) -> list[str]:
        """What `host` resolves to now, every address judged: one refused address refuses the host."""
        try:
            addresses = self._resolve(host, port)
        except OSError as e:  # the name does not resolve, now
            raise SinkError(f"{self.what}: {type(e).__name__} resolving {host}", transient=True) from e
        try:
            for address in addresses:
                check_address(host, address, self._private_hosts)
        except ValueError as e:  # a RefusedDestination, or an answer that is no address
            raise SinkError(f"{self.what}: destination refused: {e}", transient=False) from e
        return addresses
