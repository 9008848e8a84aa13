"""What the engine reads resources from: a live sweep, a snapshot file, or the simulator.

An inventory streams ARM resource objects and, on request, the child data that Resource Graph does not
index (diagnostic settings). Streaming keeps memory bounded on large estates.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from driftguard.ids import fold
from driftguard.model import Source


class InventoryError(Exception):
    """The inventory could not be read (bad input, or Azure refused): nothing may be judged compliant."""


class Inventory(Protocol):
    source: Source
    # True when custom RAI policies are part of what `resources()` yields, so that a deployment naming
    # a policy that never came is a finding, not a gap in the data.
    rai_policies_loaded: bool
    # Resource types (lower case) that rules judge but this inventory did not list, with the reason: the
    # engine reports those rules as not evaluated instead of letting them pass for want of resources.
    unlisted: Mapping[str, str]

    def resources(self) -> Iterator[Mapping[str, Any]]:
        """Every resource in scope, once each, in any order."""
        ...

    def related(
        self, kind: str, resource_ids: Sequence[str], *, subscriptions: Mapping[str, Sequence[str]] | None = None
    ) -> Mapping[str, list[Mapping[str, Any]]] | None:
        """Child data of `kind` for each resource id (keys folded: `ids.fold`), or None when this inventory
        cannot provide that kind (the rules that need it are then reported as not evaluated).
        `subscriptions` (folded resource id -> subscription ids) names where else to look for each, beyond
        its own subscription and the swept ones (a gateway's roles on the accounts it fronts)."""
        ...


def parent_of_extension(resource_id: str) -> str | None:
    """`<parent>/providers/Microsoft.Insights/diagnosticSettings/x` -> `<parent>` (folded: `ids.fold`)."""
    lowered = fold(resource_id)
    marker = "/providers/microsoft.insights/diagnosticsettings/"
    at = lowered.find(marker)
    return lowered[:at] if at > 0 else None


class ListInventory:
    """An inventory over objects already in memory or streamed from a file: child data arrives mixed
    with the resources, so it is indexed as it streams past."""

    DIAGNOSTIC_TYPE = "microsoft.insights/diagnosticsettings"

    def __init__(self, items: Iterable[Mapping[str, Any]], *, source: Source) -> None:
        self.source = source
        # A file may or may not hold RAI policies: the engine learns it from the first one it sees.
        self.rai_policies_loaded = False
        # A file holds whatever it was exported with: nothing is known to be missing.
        self.unlisted: Mapping[str, str] = {}
        self._items = items
        self._diagnostics: dict[str, list[Mapping[str, Any]]] = {}
        self._saw_diagnostics = False

    def resources(self) -> Iterator[Mapping[str, Any]]:
        for item in self._items:
            # Anything that is not an object passes through for the engine to reject with its position.
            rtype = str(item.get("type", "")).lower() if isinstance(item, Mapping) else ""
            if rtype == self.DIAGNOSTIC_TYPE:
                self._saw_diagnostics = True
                parent = parent_of_extension(str(item.get("id", "")))
                if parent:
                    self._diagnostics.setdefault(parent, []).append(item)
                continue
            yield item

    def related(
        self, kind: str, resource_ids: Sequence[str], *, subscriptions: Mapping[str, Sequence[str]] | None = None
    ) -> Mapping[str, list[Mapping[str, Any]]] | None:
        # A file with no diagnostic settings at all most likely was exported without them: say
        # "not evaluated" rather than flag every resource.
        if kind != "diagnosticSettings" or not self._saw_diagnostics:
            return None
        return {fold(rid): self._diagnostics.get(fold(rid), []) for rid in resource_ids}
