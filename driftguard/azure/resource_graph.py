"""Resource Graph: the estate sweep, one query per 1,000 resources, rows returned as plain dicts.

The request goes through the Resource Graph client's pipeline as a raw request: the typed
`resources()` call would deserialize every row into SDK models and back, which costs more than the
query itself on large estates.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core.exceptions import AzureError, ServiceRequestError, ServiceResponseError
from azure.core.rest import HttpResponse
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from driftguard.azure import api_versions
from driftguard.azure.arm import arm_error
from driftguard.azure.connection import RawArm
from driftguard.inventory import InventoryError

PAGE_SIZE = 1000
# The quota window is 5 s; a longer reset announced by the service is not waited out here (a 429 follows,
# which azure-core retries after its Retry-After).
MAX_QUOTA_WAIT_S = 10.0
QUERIES = Path(__file__).with_name("queries")


@dataclass(frozen=True)
class Scope:
    """What to sweep: listed subscriptions, or every subscription under a management group."""

    subscriptions: tuple[str, ...] = ()
    management_group: str | None = None

    def body(self) -> dict[str, Any]:
        if self.management_group:
            return {"managementGroups": [self.management_group]}
        return {"subscriptions": list(self.subscriptions)}

    def describe(self) -> str:
        if self.management_group:
            return f"management group {self.management_group}"
        return f"{len(self.subscriptions)} subscription(s)"


def load_query(name: str, **values: str) -> str:
    text = (QUERIES / f"{name}.kql").read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


class ResourceGraph:
    def __init__(self, arm: RawArm) -> None:
        self._arm = arm
        self._resume_at = 0.0  # monotonic time before which the user's query quota is spent

    # azure-core retries 408/429/5xx itself but never a dropped connection on a POST, which it must
    # treat as non-idempotent. A Resource Graph query is a read: retry exactly that case, briefly.
    @retry(
        retry=retry_if_exception_type((ServiceRequestError, ServiceResponseError)),
        stop=stop_after_attempt(3),
        wait=wait_exponential_jitter(multiplier=0.2, max=2.0),
        reraise=True,
    )
    def _send(self, body: dict[str, Any]) -> HttpResponse:
        wait = self._resume_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        response = self._arm.send(
            "POST", "/providers/Microsoft.ResourceGraph/resources", api_version=api_versions.RESOURCE_GRAPH, body=body
        )
        self._note_quota(response)
        return response

    def _note_quota(self, response: HttpResponse) -> None:
        """Resource Graph allows about 15 queries per 5 s per user and says what is left of the window
        (`x-ms-user-quota-remaining`) and when it resets (`x-ms-user-quota-resets-after`, hh:mm:ss): with
        nothing left, the next query waits for the reset rather than drawing a 429."""
        try:
            remaining = int(response.headers.get("x-ms-user-quota-remaining") or "1")
            h, m, sec = (float(x) for x in (response.headers.get("x-ms-user-quota-resets-after") or "0:0:0").split(":"))
        except ValueError:
            return
        if remaining > 0:
            return
        self._resume_at = time.monotonic() + min(h * 3600 + m * 60 + sec, MAX_QUOTA_WAIT_S)

    def query(self, kql: str, scope: Scope) -> Iterator[Mapping[str, Any]]:
        """Every row of the query, page by page (1,000 rows a page), never all pages in memory."""
        options: dict[str, Any] = {"resultFormat": "objectArray", "$top": PAGE_SIZE}
        while True:
            body = {**scope.body(), "query": kql, "options": options}
            try:
                response = self._send(body)
            except AzureError as e:
                raise InventoryError(f"Resource Graph query failed: {e.message or e}") from e
            if response.status_code != 200:
                raise InventoryError(f"Resource Graph query failed: HTTP {response.status_code}: {arm_error(response)}")
            payload = response.json()
            yield from payload.get("data") or []
            token = payload.get("$skipToken")
            if not token:
                return
            options = {**options, "$skipToken": token}
