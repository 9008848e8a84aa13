"""Defender for AI alerts from Resource Graph (`securityresources`): one query per sweep, paged, reading
only the alerts generated after a watermark. Resource Graph allows about 15 queries per 5 s per user;
the shared `ResourceGraph` gateway waits out a spent quota rather than drawing 429s."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from driftguard.azure.resource_graph import ResourceGraph, Scope, load_query


def alerts_query(since: datetime) -> str:
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return load_query("ai_alerts", since=stamp)


class AlertReader:
    def __init__(self, graph: ResourceGraph, scope: Scope) -> None:
        self._graph = graph
        self._scope = scope

    def __call__(self, since: datetime) -> Iterator[Mapping[str, Any]]:
        """The alert resources (ARM JSON) generated after `since`, oldest first."""
        return self._graph.query(alerts_query(since), self._scope)
