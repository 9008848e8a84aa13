"""Evidence of use: the last activity of each role assignment, from Log Analytics (`AzureActivity`)
through azure-monitor-query, and whether DriftGuard's own key actions landed (by their correlation ids).
The KQL lives in `.kql` files beside the code."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.monitor.query import LogsQueryClient, LogsQueryStatus

from driftguard.azure.resource_graph import load_query
from driftguard.ids import normalize_guid
from driftguard.inventory import InventoryError


@dataclass
class ActivityIndex:
    """Last use per assignment (by its GUID) and per caller and resource, and how fresh the data is.
    `Caller` is what the Activity Log writes: a user's UPN or e-mail, a service principal's app id."""

    data_through: datetime | None
    by_assignment: dict[str, datetime] = field(default_factory=dict)
    by_caller: dict[str, list[tuple[str, datetime]]] = field(default_factory=lambda: defaultdict(list))

    def last_use(self, assignment_name: str, callers: Iterable[str], scope: str) -> tuple[datetime | None, str]:
        """(last activity, how it was matched): by assignment id first, else by any of the principal's
        caller names (Principal.caller_names) under the scope."""
        guid = normalize_guid(assignment_name)
        if guid and guid in self.by_assignment:
            return self.by_assignment[guid], "roleAssignmentId"
        prefix = scope.lower().rstrip("/")
        times = [
            t
            for caller in callers
            for resource, t in self.by_caller.get(caller.lower(), [])
            if resource == prefix or resource.startswith(prefix + "/")
        ]
        return (max(times), "caller and scope") if times else (None, "none")


@dataclass(frozen=True, slots=True)
class ActionTrace:
    """What the Activity Log holds of some requests since a time: the correlation ids (lower case) of
    those that succeeded, and the newest record of any kind (None: nothing since, so an absence says
    nothing)."""

    succeeded: frozenset[str]
    data_through: datetime | None


# The correlation ids DriftGuard sends (`driftguard-<hex>-<n>`): checked before they go into KQL.
_CORRELATION = re.compile(r"[A-Za-z0-9-]{1,100}")


@dataclass(frozen=True, slots=True)
class Change:
    """One control-plane change from the Activity Log: when, on what, by whom (`Caller`), which operation."""

    at: datetime
    resource_id: str  # lower case, as the query folds it
    caller: str
    operation: str
    correlation_id: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "at": self.at.isoformat(),
            "resource_id": self.resource_id,
            "caller": self.caller,
            "operation": self.operation,
            "correlation_id": self.correlation_id,
        }


class ActivityReader:
    def __init__(
        self, credential: TokenCredential, *, workspace_id: str, endpoint: str = "https://api.loganalytics.io", **client_options: Any
    ) -> None:
        self._client = LogsQueryClient(credential, endpoint=endpoint, **client_options)
        self._workspace = workspace_id

    def read(self, *, window_days: int) -> ActivityIndex:
        fresh = self._rows(load_query("activity_freshness"), timedelta(days=window_days))
        through = fresh[0].get("data_through") if fresh else None
        index = ActivityIndex(data_through=through if isinstance(through, datetime) else None)
        for row in self._rows(load_query("assignment_activity", days=str(window_days)), timedelta(days=window_days)):
            when = row.get("last_activity")
            if not isinstance(when, datetime):
                continue
            guid = normalize_guid(str(row.get("roleAssignmentId") or ""))
            if guid:
                index.by_assignment[guid] = max(when, index.by_assignment.get(guid, when))
            caller = str(row.get("caller") or "")
            if caller:
                index.by_caller[caller].append((str(row.get("resource") or ""), when))
        return index

    def succeeded(self, resource_id: str, correlations: Iterable[str], *, since: datetime) -> ActionTrace:
        """Which of these requests on `resource_id` (a strictly parsed id) the Activity Log records as
        succeeded since `since`. Raises InventoryError when the log cannot be read."""
        wanted = [c.lower() for c in correlations]
        if not all(_CORRELATION.fullmatch(c) for c in wanted) or "'" in resource_id:
            raise ValueError("correlation ids and resource ids go into the query only as DriftGuard writes them")
        query = load_query(
            "key_actions",
            resource=resource_id,
            correlations=", ".join(f"'{c}'" for c in wanted),
            since=since.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        )
        rows = self._rows(query, max(datetime.now(UTC) - since, timedelta(hours=1)) + timedelta(hours=1))
        times = [t for t in (r.get("data_through") for r in rows) if isinstance(t, datetime)]
        landed = frozenset(str(r.get("landed") or "") for r in rows) & frozenset(wanted)
        return ActionTrace(landed, max(times, default=None))

    def recent_changes(self, *, hours: int = 24, limit: int = 5000) -> list[Change]:
        """The latest control-plane changes in the estate (one query, whatever the number of alerts)."""
        query = load_query("recent_changes", hours=str(hours), limit=str(limit))
        changes = []
        for row in self._rows(query, timedelta(hours=hours)):
            when = row.get("TimeGenerated")
            if not isinstance(when, datetime):
                continue
            changes.append(
                Change(
                    when,
                    str(row.get("resource") or ""),
                    str(row.get("caller") or ""),
                    str(row.get("operation") or ""),
                    str(row.get("correlation_id") or ""),
                )
            )
        return changes

    def _rows(self, query: str, timespan: timedelta) -> list[dict[str, Any]]:
        try:
            result = self._client.query_workspace(self._workspace, query, timespan=timespan)
        except AzureError as e:
            raise InventoryError(f"Log Analytics query failed: {e.message or e}") from e
        if result.status != LogsQueryStatus.SUCCESS:
            raise InventoryError("Log Analytics returned a partial result: activity is incomplete, nothing is judged unused")
        rows: list[dict[str, Any]] = []
        for table in result.tables:
            names = list(table.columns)
            rows.extend(dict(zip(names, r, strict=False)) for r in table.rows)
        return rows

    def close(self) -> None:
        self._client.close()
