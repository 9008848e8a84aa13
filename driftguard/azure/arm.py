"""ARM reads through the azure-mgmt clients, returning ARM JSON exactly as the service sent it.

Only the child settings Resource Graph does not index are read here (diagnostic settings, Defender for
AI settings): one call per resource, fanned out per subscription (`fan_out`), each GET paced by the
sweep's `ReadPacer` when one is given. azure-core retries 429/5xx itself.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpResponse
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from driftguard.azure import api_versions
from driftguard.azure.connection import ArmConnection, RawArm
from driftguard.azure.pacing import PacingPolicy, ReadPacer, subscription_of
from driftguard.ids import InvalidResourceId, ResourceId, fold, parse_resource_id
from driftguard.inventory import InventoryError

T = TypeVar("T")
JSONObj = dict[str, Any]
# ARM's read budget is per subscription (and principal): within one, a few reads at a time (the pacer
# keeps the rate; this keeps the connections few); subscriptions are read side by side, up to a cap.
PER_SUBSCRIPTION = 4
MAX_THREADS = 32


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
    def __init__(self, connection: ArmConnection, raw: RawArm, *, pacer: ReadPacer | None = None) -> None:
        self._connection = connection
        self._raw = raw
        self._policies = [PacingPolicy(pacer)] if pacer is not None else []
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def _client(self, cls: type[T], subscription_id: str, **kwargs: Any) -> T:
        key = (cls.__name__, subscription_id.lower())
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._connection.client(cls, subscription_id=subscription_id, per_retry_policies=self._policies, **kwargs)
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

        return {fold(rid): settings for rid, settings in fan_out(read, resource_ids)}

    def defender_for_ai_setting(self, account_id: str) -> Mapping[str, Any] | None:
        """The account's `Default` Defender for AI setting, or None when it has none."""
        sub, rg, account = parse_id(account_id)
        client = self._client(CognitiveServicesManagementClient, sub, api_version=api_versions.COGNITIVE_SERVICES)
        try:
            result: Mapping[str, Any] = client.defender_for_ai_settings.get(rg, account.name, "Default", cls=raw_json)  # type: ignore[assignment]
        except ResourceNotFoundError:
            return None
        except AzureError as e:
            raise InventoryError(f"reading the Defender for AI setting of {account_id} failed: {_message(e)}") from e
        return result

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


def fan_out(fn: Callable[[str], T], resource_ids: Sequence[str]) -> Iterator[tuple[str, T]]:
    """`(id, fn(id))` for every resource id, in the order they complete: up to `PER_SUBSCRIPTION` calls
    at a time within a subscription, every subscription at once (up to `MAX_THREADS` threads). The
    first error stops the rest and is raised; so does closing the iterator. Results wait in a bounded
    queue, so that reads never run far ahead of a slow consumer."""
    groups: dict[str, list[str]] = {}
    for rid in resource_ids:
        groups.setdefault(subscription_of(rid) or "", []).append(rid)
    # A lane reads its share of one subscription in turn; the lanes are interleaved across subscriptions
    # so that, when they outnumber the threads, every subscription still starts at once.
    per_subscription = [[ids[i::PER_SUBSCRIPTION] for i in range(min(PER_SUBSCRIPTION, len(ids)))] for ids in groups.values()]
    lanes = [lane for lanes_at in itertools.zip_longest(*per_subscription) for lane in lanes_at if lane]
    if not lanes:
        return
    results: queue.Queue[tuple[str, T] | Exception | None] = queue.Queue(maxsize=256)
    stop = threading.Event()

    def put(item: tuple[str, T] | Exception | None) -> None:
        while not stop.is_set():
            try:
                results.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def run(lane: list[str]) -> None:
        try:
            for rid in lane:
                if stop.is_set():
                    return
                put((rid, fn(rid)))
        except Exception as e:  # handed to the consumer, which raises it
            put(e)
        put(None)

    pool = ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(lanes)), thread_name_prefix="arm-read")
    try:
        for lane in lanes:
            pool.submit(run, lane)
        running = len(lanes)
        while running:
            item = results.get()
            if item is None:
                running -= 1
            elif isinstance(item, Exception):
                raise item
            else:
                yield item
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


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
