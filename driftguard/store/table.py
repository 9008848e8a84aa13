"""Azure Table Storage backend: production state, shared by every Function instance.

Optimistic concurrency uses the entities' ETags: an update carries the ETag it read and fails with 412
when someone else wrote first. Keys cannot hold '/', so resources are keyed by a hash of their id.
Strings over the 64 KiB property limit (large baselines) are split across numbered properties.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import orjson
from azure.core import MatchConditions
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableEntity, TableServiceClient, TableTransactionError, UpdateMode

from driftguard.store.base import (
    AuditEntry,
    Baseline,
    Case,
    CaseStatus,
    Charge,
    FindingRecord,
    FindingStatus,
    FlapWindow,
    OutboxItem,
    Revert,
    StoreConflict,
    StoreUnavailable,
    audit_from_json,
    audit_to_json,
    case_from_json,
    case_to_json,
    dedupe_hash,
    fold_detection,
    outbox_from_json,
    outbox_to_json,
    resource_key,
    split_case_id,
)

TABLES = (
    "dgevents",
    "dgstates",
    "dgbaselines",
    "dgfindings",
    "dgclaims",
    "dgaudit",
    "dgreverts",
    "dgcaserecords",
    "dgreviews",
    "dgoutbox",
    "dgtickets",
    "dgbudgets",
)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,40}")
CHUNK = 30_000  # characters: a string property holds 64 KiB of UTF-16
T = TypeVar("T")
# Audit rows whose key starts so mark a write whose outcome is recorded; "~" sorts after every timestamp.
WRITE_MARKER = "~write-"


def _pack(name: str, text: str) -> dict[str, Any]:
    parts = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    out: dict[str, Any] = {f"{name}_{i}": part for i, part in enumerate(parts)}
    out[f"{name}_n"] = len(parts)
    return out


def _unpack(entity: dict[str, Any], name: str) -> str:
    return "".join(entity[f"{name}_{i}"] for i in range(int(entity[f"{name}_n"])))


def _newest_first(at: datetime) -> str:
    """A row key that sorts later times first (Table Storage returns a partition in key order)."""
    micros = (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"{10**17 - micros:017d}"


def _ts(value: datetime) -> str:
    return value.isoformat()


def _utc(value: datetime) -> str:
    """Fixed-width UTC text: compares like the times it holds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _case(entity: TableEntity) -> Case:
    return case_from_json(orjson.loads(_unpack(entity, "body")), version=entity.metadata["etag"])


class TableStore:
    def __init__(self, service: TableServiceClient, *, prefix: str = "") -> None:
        """`prefix` namespaces the tables (several deployments or test runs in one account)."""
        if prefix and not _NAME.fullmatch(prefix):
            raise ValueError(f"table prefix {prefix!r} must be letters and digits, starting with a letter")
        self._service = service
        self._tables: dict[str, TableClient] = {}
        for name in TABLES:
            self._create(prefix + name)
            self._tables[name] = service.get_table_client(prefix + name)

    def _create(self, name: str) -> None:
        self._call(lambda: self._service.create_table_if_not_exists(name))

    @classmethod
    def from_connection_string(cls, connection_string: str, *, prefix: str = "", **client_options: Any) -> TableStore:
        return cls(TableServiceClient.from_connection_string(connection_string, **client_options), prefix=prefix)

    @classmethod
    def from_endpoint(cls, endpoint: str, credential: TokenCredential) -> TableStore:
        """Production: the Function App's managed identity, no account keys (shared key is disabled)."""
        return cls(TableServiceClient(endpoint=endpoint, credential=credential))

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
            raise
        except HttpResponseError as e:
            if e.status_code is not None and (e.status_code >= 500 or e.status_code in (408, 429)):
                raise StoreUnavailable(f"table storage: HTTP {e.status_code}") from e
            if e.status_code is None:
                # No answer from the service at all: the token for it could not be had (the managed
                # identity endpoint is down or not reachable), which is the store being unreachable.
                raise StoreUnavailable(f"table storage: {type(e).__name__}") from e
            raise
        except AzureError as e:
            raise StoreUnavailable(f"table storage: {e.message or e}") from e

    def _get(self, table: str, pk: str, rk: str) -> TableEntity | None:
        try:
            return self._call(lambda: self._tables[table].get_entity(pk, rk))
        except ResourceNotFoundError:
            return None

    # --- dedupe ------------------------------------------------------------------------------------
    def first_sight_of_event(self, event_id: str, *, now: datetime) -> bool:
        key = resource_key(event_id)
        try:
            self._call(lambda: self._tables["dgevents"].create_entity({"PartitionKey": key[:2], "RowKey": key, "seen_at": _ts(now)}))
        except ResourceExistsError:
            return False
        return True

    def event_seen(self, event_id: str) -> bool:
        key = resource_key(event_id)
        return self._get("dgevents", key[:2], key) is not None

    def last_state(self, resource_id: str) -> str | None:
        current = self._get("dgstates", resource_key(resource_id), "state")
        return None if current is None else str(current.get("state_hash"))

    def state_changed(self, resource_id: str, state_hash: str, *, now: datetime) -> bool:
        key = resource_key(resource_id)
        current = self._get("dgstates", key, "state")
        if current is not None and current.get("state_hash") == state_hash:
            return False
        entity = {"PartitionKey": key, "RowKey": "state", "state_hash": state_hash, "seen_at": _ts(now)}
        self._call(lambda: self._tables["dgstates"].upsert_entity(entity, mode=UpdateMode.REPLACE))
        return True

    def purge_marks(self, *, before: datetime) -> int:
        count = 0
        for table in ("dgevents", "dgstates"):
            for entity in self._old_marks(self._tables[table], before):
                self._delete(self._tables[table], entity)
                count += 1
        return count

    def _old_marks(self, client: TableClient, before: datetime) -> list[TableEntity]:
        query = "seen_at lt @t"
        return self._call(lambda: list(client.query_entities(query, parameters={"t": _ts(before)}, select=["PartitionKey", "RowKey"])))

    def _insert(self, client: TableClient, entity: dict[str, Any]) -> dict[str, Any]:
        """Returns the service's metadata (the new ETag among it)."""
        return self._call(lambda: client.create_entity(entity))

    def _replace_if_unchanged(self, client: TableClient, entity: dict[str, Any], etag: str | None) -> dict[str, Any]:
        return self._call(
            lambda: client.update_entity(entity, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified)
        )

    def _delete(self, client: TableClient, entity: TableEntity) -> None:
        self._call(lambda: client.delete_entity(entity["PartitionKey"], entity["RowKey"]))

    # --- baselines -----------------------------------------------------------------------------------
    def baseline(self, resource_id: str, rule: str) -> Baseline | None:
        e = self._get("dgbaselines", resource_key(resource_id), rule)
        if e is None:
            return None
        return Baseline(e["resource_id"], rule, orjson.loads(_unpack(e, "resource")), datetime.fromisoformat(e["recorded_at"]))

    def forget_baseline(self, resource_id: str, rule: str) -> None:
        # Deleting an entity that is not there succeeds (azure-data-tables ignores the 404).
        self._call(lambda: self._tables["dgbaselines"].delete_entity(resource_key(resource_id), rule))

    def save_baseline(self, baseline: Baseline) -> None:
        entity = {
            "PartitionKey": resource_key(baseline.resource_id),
            "RowKey": baseline.rule,
            "resource_id": baseline.resource_id,
            "recorded_at": _ts(baseline.recorded_at),
            **_pack("resource", orjson.dumps(baseline.resource).decode()),
        }
        self._call(lambda: self._tables["dgbaselines"].upsert_entity(entity, mode=UpdateMode.REPLACE))

    # --- findings ------------------------------------------------------------------------------------
    def finding(self, rule: str, resource_id: str) -> FindingRecord | None:
        e = self._get("dgfindings", resource_key(resource_id), rule)
        return None if e is None else self._finding(e)

    def _finding(self, e: Any) -> FindingRecord:
        return FindingRecord(
            rule=e["RowKey"],
            resource_id=e["resource_id"],
            status=FindingStatus(e["status"]),
            finding=orjson.loads(_unpack(e, "finding")),
            first_seen=datetime.fromisoformat(e["first_seen"]),
            last_seen=datetime.fromisoformat(e["last_seen"]),
            version=e.metadata["etag"],
        )

    def save_finding(self, record: FindingRecord) -> FindingRecord:
        entity = {
            "PartitionKey": resource_key(record.resource_id),
            "RowKey": record.rule,
            "resource_id": record.resource_id,
            "status": record.status.value,
            "first_seen": _ts(record.first_seen),
            "last_seen": _ts(record.last_seen),
            **_pack("finding", orjson.dumps(record.finding).decode()),
        }
        client = self._tables["dgfindings"]
        try:
            if record.version is None:
                meta = self._call(lambda: client.create_entity(entity))
            else:
                etag = record.version
                meta = self._call(
                    lambda: client.update_entity(entity, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified)
                )
        except (ResourceExistsError, ResourceModifiedError) as e:
            raise StoreConflict(f"finding {record.rule} on {record.resource_id} changed since it was read") from e
        return FindingRecord(
            record.rule, record.resource_id, record.status, record.finding, record.first_seen, record.last_seen, str(meta["etag"])
        )

    def findings(self, *, status: FindingStatus | None = None) -> Iterator[FindingRecord]:
        client = self._tables["dgfindings"]
        if status is None:
            entities = self._call(lambda: list(client.list_entities()))
        else:
            entities = self._call(lambda: list(client.query_entities("status eq @s", parameters={"s": status.value})))
        for e in sorted(entities, key=lambda e: (e["resource_id"], e["RowKey"])):
            yield self._finding(e)

    # --- coordination --------------------------------------------------------------------------------
    def claim(self, resource_id: str, rule: str, owner: str, *, now: datetime, ttl: timedelta) -> bool:
        client = self._tables["dgclaims"]
        entity = {"PartitionKey": resource_key(resource_id), "RowKey": rule, "owner": owner, "expires_at": _ts(now + ttl)}
        try:
            self._call(lambda: client.create_entity(entity))
            return True
        except ResourceExistsError:
            pass
        current = self._get("dgclaims", entity["PartitionKey"], rule)
        if current is None:  # released in between: try once more from the start
            return self.claim(resource_id, rule, owner, now=now, ttl=ttl)
        if current["owner"] != owner and datetime.fromisoformat(current["expires_at"]) > now:
            return False
        etag = current.metadata["etag"]
        try:
            self._call(
                lambda: client.update_entity(entity, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified)
            )
        except ResourceModifiedError:
            return False  # someone took it over first
        return True

    def release(self, resource_id: str, rule: str, owner: str) -> None:
        current = self._get("dgclaims", resource_key(resource_id), rule)
        if current is None or current["owner"] != owner:
            return
        etag = current.metadata["etag"]
        # Taken over or gone in between: not ours to delete any more.
        with contextlib.suppress(ResourceModifiedError, ResourceNotFoundError):
            self._call(
                lambda: self._tables["dgclaims"].delete_entity(
                    current["PartitionKey"], rule, etag=etag, match_condition=MatchConditions.IfNotModified
                )
            )

    # --- cases ---------------------------------------------------------------------------------------
    # One partition per dedupe key, one row per generation: the latest case is the partition's last row.
    def open_case(self, case: Case, *, if_absent: bool = False) -> Case:
        for _ in range(5):  # optimistic concurrency: re-read and fold again when someone else wrote first
            current = self._latest_case(case.key_hash)
            if if_absent and current is not None:
                return current
            folded = fold_detection(current, case)
            try:
                # A new case is an insert, which fails if another writer inserted it first: only one creates it.
                return replace(self.save_case(folded), created=folded.version is None)
            except StoreConflict:
                continue
        raise StoreConflict(f"case {case.dedupe_key} kept changing under concurrent updates")

    def _latest_case(self, key_hash: str) -> Case | None:
        client = self._tables["dgcaserecords"]
        entities = self._call(lambda: list(client.query_entities("PartitionKey eq @p", parameters={"p": key_hash})))
        if not entities:
            return None
        latest = max(entities, key=lambda e: e["RowKey"])
        return _case(latest)

    def save_case(self, case: Case) -> Case:
        client = self._tables["dgcaserecords"]
        entity = {
            "PartitionKey": case.key_hash,
            "RowKey": f"{case.generation:06d}",
            "status": case.status.value,
            **_pack("body", orjson.dumps(case_to_json(case)).decode()),
        }
        try:
            metadata = self._insert(client, entity) if case.version is None else self._replace_if_unchanged(client, entity, case.version)
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError) as e:
            raise StoreConflict(f"case {case.id} changed since it was read") from e
        return replace(case, version=str(metadata["etag"]), created=False)

    def case(self, case_id: str) -> Case | None:
        parts = split_case_id(case_id)
        if parts is None:
            return None
        e = self._get("dgcaserecords", parts[0], f"{parts[1]:06d}")
        return None if e is None else _case(e)

    def current_case(self, dedupe_key: str) -> Case | None:
        return self._latest_case(dedupe_hash(dedupe_key))

    def cases(self, *, status: CaseStatus | None = None) -> Iterator[Case]:
        client = self._tables["dgcaserecords"]
        if status is None:
            entities = self._call(lambda: list(client.list_entities()))
        else:
            entities = self._call(lambda: list(client.query_entities("status eq @s", parameters={"s": status.value})))
        yield from sorted((_case(e) for e in entities), key=lambda c: (c.opened_at, c.key_hash, c.generation))

    # --- notifications ---------------------------------------------------------------------------------
    # One partition for the outbox: row keys sort by creation time, so a query reads it oldest first.
    def enqueue(self, items: Sequence[OutboxItem]) -> None:
        client = self._tables["dgoutbox"]
        # One partition: a transaction of up to 100 entities lands all or nothing.
        for start in range(0, len(items), 100):
            batch = [
                (
                    "create",
                    {
                        "PartitionKey": "outbox",
                        "RowKey": item.id,
                        "next_attempt_at": _utc(item.next_attempt_at),
                        **_pack("body", orjson.dumps(outbox_to_json(item)).decode()),
                    },
                )
                for item in items[start : start + 100]
            ]
            self._call(lambda batch=batch: client.submit_transaction(batch))  # type: ignore[misc]

    def outbox(self, *, due_by: datetime | None = None, limit: int = 500) -> list[OutboxItem]:
        client = self._tables["dgoutbox"]
        if due_by is None:
            pages = client.query_entities("PartitionKey eq 'outbox'", results_per_page=limit)
        else:
            query = "PartitionKey eq 'outbox' and next_attempt_at le @t"
            pages = client.query_entities(query, parameters={"t": _utc(due_by)}, results_per_page=limit)
        entities = self._call(lambda: list(itertools.islice(pages, limit)))
        return [outbox_from_json(orjson.loads(_unpack(e, "body"))) for e in entities]

    def delivered(self, item: OutboxItem) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            self._call(lambda: self._tables["dgoutbox"].delete_entity("outbox", item.id))

    def retry_later(self, item: OutboxItem, *, error: str, at: datetime) -> None:
        later = replace(item, attempts=item.attempts + 1, last_error=error[:500], next_attempt_at=at)
        entity = {
            "PartitionKey": "outbox",
            "RowKey": item.id,
            "next_attempt_at": _utc(at),
            **_pack("body", orjson.dumps(outbox_to_json(later)).decode()),
        }
        self._call(lambda: self._tables["dgoutbox"].upsert_entity(entity, mode=UpdateMode.REPLACE))

    def ticket_ref(self, sink: str, key: str) -> str | None:
        e = self._get("dgtickets", sink, dedupe_hash(key))
        return None if e is None else str(e["ref"])

    def save_ticket_ref(self, sink: str, key: str, ref: str) -> None:
        entity = {"PartitionKey": sink, "RowKey": dedupe_hash(key), "ref": ref}
        self._call(lambda: self._tables["dgtickets"].upsert_entity(entity, mode=UpdateMode.REPLACE))

    # --- access reviews --------------------------------------------------------------------------------
    def save_review(self, taken_at: datetime, snapshot: Mapping[str, Any]) -> None:
        entity = {"PartitionKey": "review", "RowKey": _newest_first(taken_at), "taken_at": _ts(taken_at)}
        entity.update(_pack("body", orjson.dumps(snapshot).decode()))
        self._call(lambda: self._tables["dgreviews"].upsert_entity(entity, mode=UpdateMode.REPLACE))

    def reviews(self, *, limit: int = 52) -> list[tuple[datetime, Mapping[str, Any]]]:
        # Rows come back in key order, newest first: read `limit` of them, not every review ever kept.
        pages = self._tables["dgreviews"].query_entities("PartitionKey eq 'review'", results_per_page=limit)
        entities = self._call(lambda: list(itertools.islice(pages, limit)))
        return [(datetime.fromisoformat(e["taken_at"]), orjson.loads(_unpack(e, "body"))) for e in reversed(entities)]

    # --- audit ---------------------------------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        # RowKeys sort as text: a fixed-width UTC timestamp then a unique suffix keeps them in time order.
        at = entry.at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        pk = resource_key(entry.resource_id)
        entity = {"PartitionKey": pk, "RowKey": f"{at}-{uuid.uuid4().hex}", **_pack("entry", orjson.dumps(audit_to_json(entry)).decode())}
        client = self._tables["dgaudit"]
        if entry.write_id is None:
            self._call(lambda: client.create_entity(entity))
            return
        # The record and a marker of its write in one entity group transaction (one partition): both
        # land or neither, and a second recording of the same write fails on the marker.
        marker = {"PartitionKey": pk, "RowKey": f"{WRITE_MARKER}{resource_key(f'{entry.action}:{entry.write_id}')}"}
        try:
            self._call(lambda: client.submit_transaction([("create", marker), ("create", entity)]))
        except TableTransactionError as e:
            if e.status_code != 409:
                raise
            # this write's outcome is on record already

    def audit_log(self, *, resource_id: str | None = None) -> Iterator[AuditEntry]:
        client = self._tables["dgaudit"]
        if resource_id is None:
            entities = self._call(lambda: list(client.list_entities()))
        else:
            entities = self._call(lambda: list(client.query_entities("PartitionKey eq @p", parameters={"p": resource_key(resource_id)})))
        for e in sorted(entities, key=lambda e: e["RowKey"]):
            if not e["RowKey"].startswith(WRITE_MARKER):
                yield audit_from_json(orjson.loads(_unpack(e, "entry")))

    # --- flap protection -----------------------------------------------------------------------------
    def record_revert(self, resource_id: str, rule: str, revert: Revert, *, window: timedelta) -> FlapWindow:
        client = self._tables["dgreverts"]
        pk = f"{resource_key(resource_id)}-{rule}"
        at = revert.at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        # A revert with an id is one row whatever records it, and however often: the id is its row key.
        row = f"id-{resource_key(revert.id)}" if revert.id else f"{at}-{uuid.uuid4().hex}"
        entity = {"PartitionKey": pk, "RowKey": row, "at": _ts(revert.at), "caller": revert.caller or "", "id": revert.id or ""}
        with contextlib.suppress(ResourceExistsError):  # the same write, recorded before
            self._call(lambda: client.create_entity(entity))
        kept: list[Revert] = []
        for e in self._reverts(pk):
            when = datetime.fromisoformat(e["at"])
            if when < revert.at - window:
                self._delete(client, e)
            else:
                kept.append(Revert(when, e["caller"] or None, e.get("id") or None))
        return FlapWindow(tuple(kept))

    def reverts(self, resource_id: str, rule: str, *, since: datetime) -> FlapWindow:
        pk = f"{resource_key(resource_id)}-{rule}"
        found = [Revert(datetime.fromisoformat(e["at"]), e["caller"] or None, e.get("id") or None) for e in self._reverts(pk)]
        return FlapWindow(tuple(r for r in found if r.at >= since))

    def _reverts(self, pk: str) -> list[TableEntity]:
        client = self._tables["dgreverts"]
        entities = self._call(lambda: list(client.query_entities("PartitionKey eq @p", parameters={"p": pk})))
        return sorted(entities, key=lambda e: e["at"])

    # --- budgets -------------------------------------------------------------------------------------
    # One partition per day, one row per counter: a reservation updates all its counters in one entity
    # group transaction, each conditioned on the ETag read, so two instances never both spend the last
    # unit; the loser re-reads and tries again.
    def reserve_budget(self, day: date, charges: Sequence[Charge]) -> bool:
        client = self._tables["dgbudgets"]
        pk = day.isoformat()
        for _ in range(20):
            ops: list[Any] = []
            for c in charges:
                current = self._get("dgbudgets", pk, resource_key(c.counter))
                used = int(current["used"]) if current is not None else 0
                if used + c.amount > c.cap:
                    return False
                entity = {"PartitionKey": pk, "RowKey": resource_key(c.counter), "counter": c.counter, "used": used + c.amount}
                if current is None:
                    ops.append(("create", entity))
                else:
                    ops.append(
                        (
                            "update",
                            entity,
                            {
                                "mode": UpdateMode.REPLACE,
                                "etag": current.metadata["etag"],
                                "match_condition": MatchConditions.IfNotModified,
                            },
                        )
                    )
            try:
                self._call(lambda ops=ops: client.submit_transaction(ops))  # type: ignore[misc]
                return True
            except TableTransactionError as e:
                if e.status_code not in (409, 412):
                    raise
        raise StoreConflict(f"budget for {pk}: too many concurrent reservations")

    def budget_used(self, day: date, counter: str) -> int:
        current = self._get("dgbudgets", day.isoformat(), resource_key(counter))
        return int(current["used"]) if current is not None else 0
