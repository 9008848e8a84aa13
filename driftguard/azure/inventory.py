"""The live inventory: a Resource Graph sweep, plus child settings read through ARM with --deep."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from driftguard.azure.arm import ArmReader
from driftguard.azure.connection import ArmConnection, RawArm
from driftguard.azure.resource_graph import ResourceGraph, Scope, load_query
from driftguard.model import Source

ACCOUNT = "microsoft.cognitiveservices/accounts"
# Judged by rules but not indexed by Resource Graph's `resources` table.
NOT_IN_GRAPH = frozenset({"microsoft.cognitiveservices/accounts/defenderforaisettings", "microsoft.security/pricings"})


def inventory_query(rule_types: frozenset[str]) -> str:
    types = ", ".join(f"'{t}'" for t in sorted(rule_types - NOT_IN_GRAPH))
    return load_query("ai_inventory", types=types)


class LiveInventory:
    """Streams the estate from Resource Graph. With `deep`, also reads per-resource settings that
    Resource Graph does not index: Defender for AI settings and diagnostic settings (one ARM call
    each, so a sweep can run shallow often and deep on a slower schedule)."""

    rai_policies_loaded = True

    def __init__(
        self, connection: ArmConnection, scope: Scope, *, rule_types: frozenset[str], deep: bool, source: Source = Source.LIVE
    ) -> None:
        self.source = source
        self.scope = scope
        self.deep = deep
        self._raw = RawArm(connection)
        self.graph = ResourceGraph(self._raw)
        self.arm = ArmReader(connection, self._raw)
        self._query = inventory_query(rule_types)

    def resources(self) -> Iterator[Mapping[str, Any]]:
        accounts: list[str] = []
        for row in self.graph.query(self._query, self.scope):
            if self.deep and str(row.get("type", "")).lower() == ACCOUNT:
                accounts.append(str(row["id"]))
            yield row
        yield from self.graph.query(load_query("ai_pricing"), self.scope)
        if self.deep:
            yield from self.arm.defender_for_ai_settings(accounts)

    def related(self, kind: str, resource_ids: Sequence[str]) -> Mapping[str, list[Mapping[str, Any]]] | None:
        if kind != "diagnosticSettings" or not self.deep:
            return None
        return self.arm.diagnostic_settings(resource_ids)

    def close(self) -> None:
        self.arm.close()
        self._raw.close()
