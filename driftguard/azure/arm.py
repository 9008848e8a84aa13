"""ARM reads through the azure-mgmt clients, returning ARM JSON exactly as the service sent it.

Only the child settings Resource Graph does not index are read here (diagnostic settings, Defender for
AI settings): one call per resource, run a few at a time. azure-core retries 429/5xx itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpResponse
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from driftguard.azure import api_versions
from driftguard.azure.connection import ArmConnection, RawArm
from driftguard.ids import InvalidResourceId, ResourceId, fold, parse_resource_id
from driftguard.inventory import InventoryError

T = TypeVar("T")
JSONObj = dict[str, Any]
# ARM allows 250 reads then 25/s per principal; eight at a time stays well inside that.
PARALLEL_READS = 8


def raw_json(pipeline_response: Any, deserialized: Any, headers: Any) -> Any:
    """`cls=` hook for the mgmt clients: keep the service's JSON instead of SDK models."""
    return pipeline_response.http_response.json()


def parse_id(resource_id: str) -> tuple[str, str, ResourceId]:
    """(subscription, resource group, parsed id) of a resource in a resource group, or InventoryError."""
    try:
        parsed = parse_resource_id(resource_id)
    except InvalidResourceId as e:
        raise InventoryError(str(e)) from e
    if parsed.subscription is None or parsed.resource_group is None:
        raise InventoryError(f"{resource_id!r} is not a resource in a resource group")
    return parsed.subscription, parsed.resource_group, parsed


class ArmReader:
    def __init__(self, connection: ArmConnection, raw: RawArm) -> None:
        self._connection = connection
        self._raw = raw
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def _client(self, cls: type[T], subscription_id: str, **kwargs: Any) -> T:
        key = (cls.__name__, subscription_id.lower())
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._connection.client(cls, subscription_id=subscription_id, **kwargs)
                self._clients[key] = client
            return client

    def diagnostic_settings(self, resource_ids: Sequence[str]) -> dict[str, list[Mapping[str, Any]]]:
        """Diagnostic settings of each resource (keys folded: `ids.fold`)."""

        def read(resource_id: str) -> list[Mapping[str, Any]]:
            # The id came from Resource Graph; still, the path is rebuilt from its parsed parts.
            canonical = str(parse_id(resource_id)[2])
            # azure-mgmt-monitor 7 dropped diagnostic settings and 6 yields models only: a raw GET keeps ARM's JSON.
            path = f"{canonical}/providers/Microsoft.Insights/diagnosticSettings"
            try:
                response = self._raw.send("GET", path, api_version=api_versions.DIAGNOSTIC_SETTINGS)
            except AzureError as e:
                raise InventoryError(f"reading diagnostic settings of {resource_id} failed: {_message(e)}") from e
            if response.status_code != 200:
                raise InventoryError(
                    f"reading diagnostic settings of {resource_id} failed: HTTP {response.status_code}: {arm_error(response)}"
                )
            return list(response.json().get("value") or [])

        return dict(zip((fold(r) for r in resource_ids), _parallel(read, resource_ids), strict=True))

    def defender_for_ai_settings(self, account_ids: Iterable[str]) -> Iterator[Mapping[str, Any]]:
        """The `Default` Defender for AI setting of each account; accounts without one are skipped."""

        def read(account_id: str) -> Mapping[str, Any] | None:
            sub, rg, account = parse_id(account_id)
            name = account.name
            client = self._client(CognitiveServicesManagementClient, sub, api_version=api_versions.COGNITIVE_SERVICES)
            try:
                result: Mapping[str, Any] = client.defender_for_ai_settings.get(rg, name, "Default", cls=raw_json)  # type: ignore[assignment]
            except ResourceNotFoundError:
                return None
            except AzureError as e:
                raise InventoryError(f"reading the Defender for AI setting of {account_id} failed: {_message(e)}") from e
            return result

        for setting in _parallel(read, list(account_ids)):
            if setting is not None:
                yield setting

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


def _parallel(fn: Callable[[str], T], items: Sequence[str]) -> list[T]:
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(PARALLEL_READS, len(items)), thread_name_prefix="arm-read") as pool:
        return list(pool.map(fn, items))


def _message(e: AzureError) -> str:
    if isinstance(e, HttpResponseError) and e.error is not None:
        return f"{e.error.code}: {e.error.message}"
    return str(e.message or e)


def arm_error(response: HttpResponse) -> str:
    """`code: message` from ARM's error envelope, or the start of the body."""
    try:
        err = response.json().get("error") or {}
        return f"{err.get('code', 'Error')}: {err.get('message', '')}".strip()
    except ValueError:
        return response.text()[:200]
