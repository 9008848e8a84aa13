"""The simulated estate: ARM resources keyed by id, with role definitions and assignments."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Iterator
from typing import Any

JSON = dict[str, Any]


def split_id(resource_id: str) -> tuple[str, str, str, str]:
    """(subscription, resource group, full type, name) of an ARM id; '' where the id has none."""
    parts = resource_id.strip("/").split("/")
    sub = rg = ""
    lowered = [p.lower() for p in parts]
    if len(parts) >= 2 and lowered[0] == "subscriptions":
        sub = parts[1]
    if "resourcegroups" in lowered:
        i = lowered.index("resourcegroups")
        rg = parts[i + 1] if i + 1 < len(parts) else ""
    if "providers" not in lowered:
        return sub, rg, "", parts[-1] if parts else ""
    i = len(lowered) - 1 - lowered[::-1].index("providers")
    rest = parts[i + 1 :]
    namespace, pairs = rest[0], rest[1:]
    types = [pairs[j] for j in range(0, len(pairs), 2)]
    name = pairs[-1] if len(pairs) % 2 == 0 and pairs else ""
    return sub, rg, "/".join([namespace, *types]), name


class Estate:
    """Thread-safe store of ARM JSON. Reads return deep copies: callers can never mutate the estate."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._resources: dict[str, JSON] = {}
        # (type, parent) -> ids, both lower case: an ARM list of one parent's children reads only them
        # (a deep sweep lists every account's deployments; scanning the whole estate each time is slow).
        self._children: dict[tuple[str, str], dict[str, None]] = {}
        self.tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47"

    def __len__(self) -> int:
        return len(self._resources)

    def put(self, resource: JSON) -> None:
        if not resource.get("id") or not resource.get("type"):
            raise ValueError("a simulated resource needs id and type")
        key = resource["id"].lower()
        with self._lock:
            previous = self._resources.get(key)
            if previous is not None:
                self._unindex(key, previous)
            self._resources[key] = resource
            self._children.setdefault((str(resource["type"]).lower(), _parent(key)), {})[key] = None

    def put_many(self, resources: Iterable[JSON]) -> None:
        for r in resources:
            self.put(r)

    def get(self, resource_id: str) -> JSON | None:
        with self._lock:
            found = self._resources.get(resource_id.lower().rstrip("/"))
            return copy.deepcopy(found) if found is not None else None

    def delete(self, resource_id: str) -> bool:
        key = resource_id.lower()
        with self._lock:
            found = self._resources.pop(key, None)
            if found is not None:
                self._unindex(key, found)
            return found is not None

    def _unindex(self, key: str, resource: JSON) -> None:
        siblings = self._children.get((str(resource["type"]).lower(), _parent(key)))
        if siblings is not None:
            siblings.pop(key, None)

    def raw_items(self) -> Iterator[JSON]:
        """The stored objects themselves, not copies: for read-only scans inside the simulator."""
        with self._lock:
            items = list(self._resources.values())
        return iter(items)

    def children(self, parent_id: str, full_type: str) -> list[JSON]:
        """Direct children of `parent_id` (or resources in a subscription/resource group scope) of a type."""
        parent = parent_id.lower().rstrip("/")
        prefix = parent + "/"
        wanted = full_type.lower()
        with self._lock:
            if "/resourcegroups/" in prefix or "/providers/" in prefix:
                return [copy.deepcopy(self._resources[k]) for k in self._children.get((wanted, parent), {})]
            # A subscription's (or the tenant's) list spans its resource groups.
            return [copy.deepcopy(r) for key, r in self._resources.items() if key.startswith(prefix) and str(r["type"]).lower() == wanted]


def _parent(key: str) -> str:
    """The scope a resource is listed under: its parent resource, or its resource group (lower case)."""
    head = key.rstrip("/").split("/")[:-2]
    if len(head) >= 2 and head[-2] == "providers":
        head = head[:-2]  # `…/providers/{namespace}`: a top-level type, or an extension of the resource before it
    return "/".join(head)
