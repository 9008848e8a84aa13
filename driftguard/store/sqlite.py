"""SQLite backend: the embedded default for the command line and the demo.

Each thread keeps its own connection to the file (SQLite connections are not shared across threads;
other processes open their own); read-modify-write operations run in `BEGIN IMMEDIATE` transactions,
which SQLite serialises across threads and processes. WAL with `synchronous=NORMAL`: the database
cannot be corrupted by a crash; a power loss may forget the last commits, which the next sweep redoes.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

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

SCHEMA = """
CREATE TABLE IF NOT EXISTS event_marks (event_id TEXT PRIMARY KEY, seen_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state_marks (resource_key TEXT PRIMARY KEY, state_hash TEXT NOT NULL, seen_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS baselines (resource_key TEXT NOT NULL, rule TEXT NOT NULL, resource_id TEXT NOT NULL,
    resource TEXT NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (resource_key, rule));
CREATE TABLE IF NOT EXISTS findings (resource_key TEXT NOT NULL, rule TEXT NOT NULL, resource_id TEXT NOT NULL,
    status TEXT NOT NULL, finding TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, version TEXT NOT NULL,
    PRIMARY KEY (resource_key, rule));
CREATE INDEX IF NOT EXISTS findings_status ON findings (status);
CREATE TABLE IF NOT EXISTS claims (resource_key TEXT NOT NULL, rule TEXT NOT NULL, owner TEXT NOT NULL, expires_at TEXT NOT NULL,
    PRIMARY KEY (resource_key, rule));
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, resource_key TEXT NOT NULL, entry TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_resource ON audit (resource_key, seq);
CREATE TABLE IF NOT EXISTS audit_writes (resource_key TEXT NOT NULL, write_key TEXT NOT NULL, PRIMARY KEY (resource_key, write_key));
CREATE TABLE IF NOT EXISTS case_records (key_hash TEXT NOT NULL, generation INTEGER NOT NULL, status TEXT NOT NULL,
    opened_at TEXT NOT NULL, body TEXT NOT NULL, version TEXT NOT NULL, PRIMARY KEY (key_hash, generation));
CREATE INDEX IF NOT EXISTS case_records_status ON case_records (status, opened_at);
CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, next_attempt_at TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tickets (sink TEXT NOT NULL, key_hash TEXT NOT NULL, ref TEXT NOT NULL, PRIMARY KEY (sink, key_hash));
CREATE TABLE IF NOT EXISTS reviews (taken_at TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS budgets (day TEXT NOT NULL, counter TEXT NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (day, counter));
CREATE TABLE IF NOT EXISTS reverts (resource_key TEXT NOT NULL, rule TEXT NOT NULL, at TEXT NOT NULL, caller TEXT, id TEXT);
CREATE INDEX IF NOT EXISTS reverts_key ON reverts (resource_key, rule, at);
"""


def _ts(value: datetime) -> str:
    return value.isoformat()


def _utc(value: datetime) -> str:
    """Fixed-width UTC text: compares like the times it holds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _wal(db: sqlite3.Connection, *, attempts: int = 100) -> None:
    """Puts the file in WAL mode (it stays so). Two instances opening a new state file at once race
    for the switch, and SQLite answers the loser 'database is locked' at once, without waiting out
    the busy timeout: retried for up to ten seconds, then the store is unavailable like any other lock."""
    for attempt in range(attempts):
        try:
            if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        with self._connect() as db:
            _wal(db)
            db.executescript(SCHEMA)
            # A store made before reverts had ids: add the column (nothing else changed in it).
            if "id" not in {row[1] for row in db.execute("PRAGMA table_info(reverts)")}:
                db.execute("ALTER TABLE reverts ADD COLUMN id TEXT")
            db.execute("CREATE UNIQUE INDEX IF NOT EXISTS reverts_id ON reverts (resource_key, rule, id)")

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as e:
                raise StoreUnavailable(f"state store {self.path}: {e}") from e
            self._local.db = db
        return db

    def close(self) -> None:
        """Closes this thread's connection (others close with their threads)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        try:
            yield db
        except sqlite3.OperationalError as e:  # locked past the timeout, disk errors: transient
            self._local.db = None
            db.close()
            raise StoreUnavailable(f"state store {self.path}: {e}") from e

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # --- dedupe ------------------------------------------------------------------------------------
    def first_sight_of_event(self, event_id: str, *, now: datetime) -> bool:
        with self._connect() as db:
            cur = db.execute("INSERT OR IGNORE INTO event_marks VALUES (?, ?)", (event_id, _ts(now)))
            return cur.rowcount == 1

    def event_seen(self, event_id: str) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM event_marks WHERE event_id = ?", (event_id,)).fetchone() is not None

    def last_state(self, resource_id: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT state_hash FROM state_marks WHERE resource_key = ?", (resource_key(resource_id),)).fetchone()
        return None if row is None else str(row[0])

    def state_changed(self, resource_id: str, state_hash: str, *, now: datetime) -> bool:
        key = resource_key(resource_id)
        with self._transaction() as db:
            row = db.execute("SELECT state_hash FROM state_marks WHERE resource_key = ?", (key,)).fetchone()
            if row is not None and row[0] == state_hash:
                return False
            db.execute("INSERT OR REPLACE INTO state_marks VALUES (?, ?, ?)", (key, state_hash, _ts(now)))
            return True

    def purge_marks(self, *, before: datetime) -> int:
        with self._transaction() as db:
            a = db.execute("DELETE FROM event_marks WHERE seen_at < ?", (_ts(before),)).rowcount
            b = db.execute("DELETE FROM state_marks WHERE seen_at < ?", (_ts(before),)).rowcount
            return int(a + b)

    # --- baselines -----------------------------------------------------------------------------------
    def baseline(self, resource_id: str, rule: str) -> Baseline | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT resource_id, resource, recorded_at FROM baselines WHERE resource_key = ? AND rule = ?",
                (resource_key(resource_id), rule),
            ).fetchone()
        return None if row is None else Baseline(row[0], rule, orjson.loads(row[1]), _dt(row[2]))

    def forget_baseline(self, resource_id: str, rule: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM baselines WHERE resource_key = ? AND rule = ?", (resource_key(resource_id), rule))

    def save_baseline(self, baseline: Baseline) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO baselines VALUES (?, ?, ?, ?, ?)",
                (
                    resource_key(baseline.resource_id),
                    baseline.rule,
                    baseline.resource_id,
                    _json(baseline.resource),
                    _ts(baseline.recorded_at),
                ),
            )

    # --- findings ------------------------------------------------------------------------------------
    def finding(self, rule: str, resource_id: str) -> FindingRecord | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT resource_id, status, finding, first_seen, last_seen, version FROM findings WHERE resource_key = ? AND rule = ?",
                (resource_key(resource_id), rule),
            ).fetchone()
        return None if row is None else _finding(rule, row)

    def save_finding(self, record: FindingRecord) -> FindingRecord:
        key = resource_key(record.resource_id)
        version = uuid.uuid4().hex
        with self._transaction() as db:
            row = db.execute("SELECT version FROM findings WHERE resource_key = ? AND rule = ?", (key, record.rule)).fetchone()
            current = None if row is None else row[0]
            if current != record.version:
                raise StoreConflict(f"finding {record.rule} on {record.resource_id} changed since it was read")
            db.execute(
                "INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    record.rule,
                    record.resource_id,
                    record.status.value,
                    _json(record.finding),
                    _ts(record.first_seen),
                    _ts(record.last_seen),
                    version,
                ),
            )
        return FindingRecord(record.rule, record.resource_id, record.status, record.finding, record.first_seen, record.last_seen, version)

    def findings(self, *, status: FindingStatus | None = None) -> Iterator[FindingRecord]:
        query = "SELECT resource_id, status, finding, first_seen, last_seen, version, rule FROM findings"
        args: tuple[str, ...] = ()
        if status is not None:
            query += " WHERE status = ?"
            args = (status.value,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY resource_id, rule", args).fetchall()
        for row in rows:
            yield _finding(row[6], row[:6])

    # --- coordination --------------------------------------------------------------------------------
    def claim(self, resource_id: str, rule: str, owner: str, *, now: datetime, ttl: timedelta) -> bool:
        key = resource_key(resource_id)
        with self._transaction() as db:
            row = db.execute("SELECT owner, expires_at FROM claims WHERE resource_key = ? AND rule = ?", (key, rule)).fetchone()
            if row is not None and row[0] != owner and _dt(row[1]) > now:
                return False
            db.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?)", (key, rule, owner, _ts(now + ttl)))
            return True

    def release(self, resource_id: str, rule: str, owner: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM claims WHERE resource_key = ? AND rule = ? AND owner = ?", (resource_key(resource_id), rule, owner))

    # --- cases ---------------------------------------------------------------------------------------
    def open_case(self, case: Case, *, if_absent: bool = False) -> Case:
        with self._transaction() as db:
            current = self._latest_case(db, case.key_hash)
            if if_absent and current is not None:
                return current
            folded = fold_detection(current, case)
            # In one write transaction: no other writer can have created it between the read and the write.
            return replace(self._write_case(db, folded), created=folded.version is None)

    def _latest_case(self, db: sqlite3.Connection, key_hash: str) -> Case | None:
        row = db.execute(
            "SELECT body, version FROM case_records WHERE key_hash = ? ORDER BY generation DESC LIMIT 1", (key_hash,)
        ).fetchone()
        return None if row is None else case_from_json(orjson.loads(row[0]), version=row[1])

    def _write_case(self, db: sqlite3.Connection, case: Case) -> Case:
        """Inside a transaction: writes if `case.version` is current (None: the record must not exist)."""
        row = db.execute(
            "SELECT version FROM case_records WHERE key_hash = ? AND generation = ?", (case.key_hash, case.generation)
        ).fetchone()
        if (None if row is None else row[0]) != case.version:
            raise StoreConflict(f"case {case.id} changed since it was read")
        version = uuid.uuid4().hex
        db.execute(
            "INSERT OR REPLACE INTO case_records VALUES (?, ?, ?, ?, ?, ?)",
            (case.key_hash, case.generation, case.status.value, _ts(case.opened_at), _json(case_to_json(case)), version),
        )
        return replace(case, version=version, created=False)

    def save_case(self, case: Case) -> Case:
        with self._transaction() as db:
            return self._write_case(db, case)

    def case(self, case_id: str) -> Case | None:
        parts = split_case_id(case_id)
        if parts is None:
            return None
        with self._connect() as db:
            row = db.execute("SELECT body, version FROM case_records WHERE key_hash = ? AND generation = ?", parts).fetchone()
        return None if row is None else case_from_json(orjson.loads(row[0]), version=row[1])

    def current_case(self, dedupe_key: str) -> Case | None:
        with self._connect() as db:
            return self._latest_case(db, dedupe_hash(dedupe_key))

    def cases(self, *, status: CaseStatus | None = None) -> Iterator[Case]:
        query = "SELECT body, version FROM case_records"
        args: tuple[str, ...] = ()
        if status is not None:
            query += " WHERE status = ?"
            args = (status.value,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY opened_at, key_hash, generation", args).fetchall()
        for body, version in rows:
            yield case_from_json(orjson.loads(body), version=version)

    # --- notifications ---------------------------------------------------------------------------------
    def enqueue(self, items: Sequence[OutboxItem]) -> None:
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO outbox VALUES (?, ?, ?)", [(i.id, _utc(i.next_attempt_at), _json(outbox_to_json(i))) for i in items]
            )

    def outbox(self, *, due_by: datetime | None = None, limit: int = 500) -> list[OutboxItem]:
        with self._connect() as db:
            if due_by is None:
                rows = db.execute("SELECT body FROM outbox ORDER BY id LIMIT ?", (limit,)).fetchall()
            else:
                rows = db.execute(
                    "SELECT body FROM outbox WHERE next_attempt_at <= ? ORDER BY id LIMIT ?", (_utc(due_by), limit)
                ).fetchall()
        return [outbox_from_json(orjson.loads(r[0])) for r in rows]

    def delivered(self, item: OutboxItem) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM outbox WHERE id = ?", (item.id,))

    def retry_later(self, item: OutboxItem, *, error: str, at: datetime) -> None:
        later = replace(item, attempts=item.attempts + 1, last_error=error[:500], next_attempt_at=at)
        with self._connect() as db:
            db.execute("UPDATE outbox SET next_attempt_at = ?, body = ? WHERE id = ?", (_utc(at), _json(outbox_to_json(later)), item.id))

    def ticket_ref(self, sink: str, key: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT ref FROM tickets WHERE sink = ? AND key_hash = ?", (sink, dedupe_hash(key))).fetchone()
        return None if row is None else str(row[0])

    def save_ticket_ref(self, sink: str, key: str, ref: str) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO tickets VALUES (?, ?, ?)", (sink, dedupe_hash(key), ref))

    # --- access reviews --------------------------------------------------------------------------------
    def save_review(self, taken_at: datetime, snapshot: Mapping[str, Any]) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO reviews VALUES (?, ?)", (_ts(taken_at), _json(snapshot)))

    def reviews(self, *, limit: int = 52) -> list[tuple[datetime, Mapping[str, Any]]]:
        with self._connect() as db:
            rows = db.execute("SELECT taken_at, body FROM reviews ORDER BY taken_at DESC LIMIT ?", (limit,)).fetchall()
        return [(_dt(t), orjson.loads(b)) for t, b in reversed(rows)]

    # --- audit ---------------------------------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        key = resource_key(entry.resource_id)
        with self._transaction() as db:
            if entry.write_id is not None:
                added = db.execute("INSERT OR IGNORE INTO audit_writes VALUES (?, ?)", (key, f"{entry.action}:{entry.write_id}"))
                if added.rowcount == 0:
                    return  # this write's outcome is on record already
            db.execute("INSERT INTO audit (at, resource_key, entry) VALUES (?, ?, ?)", (_ts(entry.at), key, _json(audit_to_json(entry))))

    def audit_log(self, *, resource_id: str | None = None) -> Iterator[AuditEntry]:
        with self._connect() as db:
            if resource_id is None:
                rows = db.execute("SELECT entry FROM audit ORDER BY seq").fetchall()
            else:
                rows = db.execute("SELECT entry FROM audit WHERE resource_key = ? ORDER BY seq", (resource_key(resource_id),)).fetchall()
        for (text,) in rows:
            yield audit_from_json(orjson.loads(text))

    # --- flap protection -----------------------------------------------------------------------------
    def record_revert(self, resource_id: str, rule: str, revert: Revert, *, window: timedelta) -> FlapWindow:
        key = resource_key(resource_id)
        with self._transaction() as db:
            db.execute("DELETE FROM reverts WHERE resource_key = ? AND rule = ? AND at < ?", (key, rule, _ts(revert.at - window)))
            # NULL ids never collide in the unique index: a revert without an id is always added.
            db.execute("INSERT OR IGNORE INTO reverts VALUES (?, ?, ?, ?, ?)", (key, rule, _ts(revert.at), revert.caller, revert.id))
            rows = db.execute("SELECT at, caller, id FROM reverts WHERE resource_key = ? AND rule = ? ORDER BY at", (key, rule)).fetchall()
        return FlapWindow(tuple(Revert(_dt(at), caller, rid) for at, caller, rid in rows))

    def reverts(self, resource_id: str, rule: str, *, since: datetime) -> FlapWindow:
        with self._connect() as db:
            rows = db.execute(
                "SELECT at, caller, id FROM reverts WHERE resource_key = ? AND rule = ? AND at >= ? ORDER BY at",
                (resource_key(resource_id), rule, _ts(since)),
            ).fetchall()
        return FlapWindow(tuple(Revert(_dt(at), caller, rid) for at, caller, rid in rows))

    # --- budgets -------------------------------------------------------------------------------------
    def reserve_budget(self, day: date, charges: Sequence[Charge]) -> bool:
        with self._transaction() as db:  # BEGIN IMMEDIATE: a second writer waits, then sees our spend
            for c in charges:
                row = db.execute("SELECT used FROM budgets WHERE day = ? AND counter = ?", (day.isoformat(), c.counter)).fetchone()
                if (row[0] if row else 0) + c.amount > c.cap:
                    return False
            for c in charges:
                db.execute(
                    "INSERT INTO budgets VALUES (?, ?, ?) ON CONFLICT (day, counter) DO UPDATE SET used = used + excluded.used",
                    (day.isoformat(), c.counter, c.amount),
                )
            return True

    def budget_used(self, day: date, counter: str) -> int:
        with self._connect() as db:
            row = db.execute("SELECT used FROM budgets WHERE day = ? AND counter = ?", (day.isoformat(), counter)).fetchone()
        return int(row[0]) if row else 0


def _finding(rule: str, row: tuple[Any, ...]) -> FindingRecord:
    resource_id, status, finding, first_seen, last_seen, version = row
    return FindingRecord(rule, resource_id, FindingStatus(status), orjson.loads(finding), _dt(first_seen), _dt(last_seen), version)
