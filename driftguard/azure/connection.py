"""How the gateways reach ARM: endpoint, credential and transport, and the clients built from them.

Live: DefaultAzureCredential against management.azure.com. Simulated: a static token against the
simulator, over HTTPS (with its CA) or in-process (a requests session mounted on the simulator). The
clients keep azure-core's own retry policy (429/5xx with Retry-After); nothing here adds a second one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential, TokenRequestOptions
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.mgmt.resourcegraph import ResourceGraphClient

ARM_SCOPE = "https://management.azure.com/.default"

T = TypeVar("T")


class StaticTokenCredential:
    """A fixed bearer token: for the simulator, which checks that a token is sent, not what it says."""

    def __init__(self, token: str = "simulated-token") -> None:  # noqa: S107 - not a secret: the simulator's placeholder
        self._token = token

    def get_token(
        self, *scopes: str, claims: str | None = None, tenant_id: str | None = None, enable_cae: bool = False, **kwargs: Any
    ) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        return AccessTokenInfo(self._token, int(time.time()) + 3600)


@dataclass(frozen=True)
class ArmConnection:
    endpoint: str
    credential: TokenCredential
    # A requests session to share (the in-process simulator mounts one); None: azure-core's default.
    session: requests.Session | None = None
    # CA bundle for TLS verification (the HTTPS simulator's local CA); None: the system store.
    connection_verify: str | None = None
    # LRO polling interval; the simulator completes at once.
    polling_interval: float | None = None
    # Seconds to wait for an answer before azure-core gives up on the attempt (None: its default).
    read_timeout: float | None = None
    # azure-core's backoff between retries of 408/429/5xx (None: its default).
    retry_backoff_factor: float | None = None

    def client(self, cls: type[T], **kwargs: Any) -> T:
        options: dict[str, Any] = {"base_url": self.endpoint, "credential_scopes": [ARM_SCOPE]}
        transport_options: dict[str, Any] = {}
        if self.connection_verify is not None:
            transport_options["connection_verify"] = self.connection_verify
        if self.read_timeout is not None:
            transport_options["read_timeout"] = self.read_timeout
        if self.retry_backoff_factor is not None:
            options["retry_backoff_factor"] = self.retry_backoff_factor
        if self.session is not None:
            options["transport"] = RequestsTransport(session=self.session, session_owner=False, **transport_options)
        elif transport_options:
            options["transport"] = RequestsTransport(**transport_options)
        if self.polling_interval is not None:
            options["polling_interval"] = self.polling_interval
        return cls(self.credential, **options, **kwargs)  # type: ignore[call-arg]


def live_connection(*, endpoint: str, managed_identity_client_id: str | None) -> ArmConnection:
    """DefaultAzureCredential: the Function App's managed identity in Azure, `az login` on a laptop."""
    from azure.identity import DefaultAzureCredential

    credential = DefaultAzureCredential(managed_identity_client_id=managed_identity_client_id)
    return ArmConnection(endpoint=endpoint, credential=credential)


class RawArm:
    """Raw ARM requests (exact method, path, body, headers) through a generated client's full pipeline:
    bearer auth, ARM challenge handling, azure-core's retries. The Resource Graph client serves because
    it is the smallest generated client; the api-version goes with each request, never the client's."""

    def __init__(self, connection: ArmConnection, **client_options: Any) -> None:
        # `client_options` go to the client's pipeline (the inventory's read pacing policy, for one).
        self._client = connection.client(ResourceGraphClient, **client_options)

    def send(
        self,
        method: str,
        path: str,
        *,
        api_version: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> HttpResponse:
        request = HttpRequest(method, path, params={**(params or {}), "api-version": api_version}, json=body, headers=headers)
        return self._client._send_request(request)

    def send_url(self, method: str, url: str) -> HttpResponse:
        """A request to an absolute URL ARM handed back (an operation status). The caller checks the
        host first: the bearer token must never be sent anywhere but the ARM endpoint."""
        return self._client._send_request(HttpRequest(method, url))

    def close(self) -> None:
        self._client.close()
