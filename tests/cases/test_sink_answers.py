"""Only a ticket system's success answer counts as delivered, one sink's failure is its own, and no
secret reaches a log. Against the local stand-ins, each made to answer as real systems sometimes do:
Azure DevOps' sign-in page (203) when a token expired, a redirect, a 2xx whose body is not the API's
JSON, an answer the sink's code did not foresee."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from driftguard.cases.outbox import Outbox
from driftguard.store.base import CaseStatus
from driftguard.store.sqlite import SqliteStore
from tests.cases import ticket_systems as ts
from tests.cases.test_sinks import T0, case, make_outbox
from tests.cases.ticket_systems import Raw, TicketSystems

SIGN_IN = Raw(b"<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head></html>")


def one_ticket_each(systems: TicketSystems) -> None:
    for name, tickets in systems.tickets.items():
        assert len(tickets) == 1, name


def test_a_sign_in_page_from_one_sink_is_that_sinks_failure_alone(systems: TicketSystems, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    clock = [T0]
    outbox = make_outbox(systems, store, clock)
    systems.answer_next["ado"] = [(203, SIGN_IN), (203, SIGN_IN)]
    outbox.case_changed(case(CaseStatus.OPEN, "first"), "opened")
    first = outbox.deliver()
    assert (first.delivered, first.deferred) == (5, 1)  # the other five sinks were delivered
    [waiting] = store.outbox()
    assert (waiting.sink, waiting.attempts, waiting.last_error) == ("boards", 1, "azure_devops boards: HTTP 203")
    assert waiting.next_attempt_at >= T0 + timedelta(minutes=2)
    clock[0] = waiting.next_attempt_at
    second = outbox.deliver()
    assert (second.delivered, second.deferred) == (0, 1)
    [waiting] = store.outbox()
    assert waiting.attempts == 2
    assert waiting.next_attempt_at >= clock[0] + timedelta(minutes=4)  # the delay grows
    clock[0] = waiting.next_attempt_at
    assert outbox.deliver().delivered == 1
    one_ticket_each(systems)
    # A sign-in page is not retried within a run: one request per run, three runs.
    assert sum(1 for r in systems.received if r.target.startswith("/ado/")) == 3


@pytest.mark.parametrize(("system", "status"), [("github", 303), ("ado", 302), ("snow", 307), ("jira", 308), ("teams", 301), ("hook", 303)])
def test_a_redirect_is_a_failure_and_is_never_followed(systems: TicketSystems, tmp_path: Path, system: str, status: int) -> None:
    store = SqliteStore(tmp_path / "state.db")
    clock = [T0]
    outbox = make_outbox(systems, store, clock)
    systems.answer_next[system] = [(status, Raw(headers={"Location": f"{systems.url}/elsewhere/{system}"}))]
    outbox.case_changed(case(CaseStatus.OPEN, "first"), "opened")
    done = outbox.deliver()
    assert (done.delivered, done.deferred) == (5, 1)
    [waiting] = store.outbox()
    assert waiting.last_error.endswith(f"HTTP {status}")
    assert not [r for r in systems.received if "elsewhere" in r.target]  # the credentials never followed it
    clock[0] = waiting.next_attempt_at
    assert outbox.deliver().delivered == 1
    one_ticket_each(systems)


def test_a_success_status_without_the_apis_json_is_a_failure(systems: TicketSystems, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    clock = [T0]
    outbox = make_outbox(systems, store, clock)
    systems.answer_next["github"] = [(201, Raw(b"<html>created, probably</html>"))]
    systems.answer_next["ado"] = [(200, Raw(b"[]", "application/json"))]  # JSON, but not a work item
    systems.answer_next["snow"] = [(200, Raw(b'{"error": "no result"}', "application/json"))]  # the search, answered wrong
    outbox.case_changed(case(CaseStatus.OPEN, "first"), "opened")
    done = outbox.deliver()
    assert (done.delivered, done.deferred) == (3, 3)
    errors = {i.sink: i.last_error for i in store.outbox()}
    assert "not the JSON object the API returns" in errors["github"]
    assert "not the JSON object the API returns" in errors["boards"]
    assert "no result list" in errors["snow"]
    # An edit Jira answers with 204: a 200 page instead is a failure too.
    clock[0] += timedelta(minutes=3)
    assert outbox.deliver().delivered == 3
    systems.answer_next["jira"] = [(200, Raw(b"<html>Jira is down for maintenance</html>"))]
    outbox.case_changed(case(CaseStatus.OPEN, "second"), "updated")
    assert outbox.deliver().deferred == 1
    assert "where the API answers 204" in store.outbox()[0].last_error
    clock[0] += timedelta(minutes=3)
    assert outbox.deliver().delivered == 1
    one_ticket_each(systems)
    assert [t.history for t in systems.tickets["jira"].values()] == [["created", "updated"]]  # the retried edit, once


def test_an_answer_the_sinks_code_did_not_foresee_stays_that_sinks_failure(systems: TicketSystems, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    clock = [T0]
    outbox = make_outbox(systems, store, clock)
    outbox.case_changed(case(CaseStatus.OPEN, "first"), "opened")
    outbox.deliver()
    # Closing in Jira: the edit, the status, then transitions of which one has no id.
    odd = Raw(b'{"transitions": [{"name": "Done", "to": {"statusCategory": {"key": "done"}}}]}', "application/json")
    systems.answer_next["jira"] = [None, None, (200, odd)]
    outbox.case_changed(case(CaseStatus.APPLIED, "applied"), "applied")
    done = outbox.deliver()
    assert (done.delivered, done.deferred) == (5, 1)
    [waiting] = store.outbox()
    assert waiting.sink == "jira"
    assert waiting.last_error.startswith("unexpected KeyError at jira.py:")
    clock[0] = waiting.next_attempt_at
    assert outbox.deliver().delivered == 1
    assert [t.state for t in systems.tickets["jira"].values()] == ["Done"]


@contextmanager
def every_logger_at_debug() -> Iterator[list[str]]:
    """Every record any logger emits at any level, formatted as a handler would (exception text too)."""
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    handler = Keep(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    loggers = [root, *(lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger))]
    saved = [(lg, lg.level, lg.propagate, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.propagate = lg is not root
        lg.disabled = False
    root.addHandler(handler)
    try:
        yield seen
    finally:
        root.removeHandler(handler)
        for lg, level, propagate, disabled in saved:
            lg.setLevel(level)
            lg.propagate, lg.disabled = propagate, disabled


def deliver_everything(systems: TicketSystems, outbox: Outbox, clock: list[datetime]) -> None:
    systems.fail_next["github"] = 5  # retried within the run, then deferred
    systems.answer_next["ado"] = [(203, SIGN_IN)]
    systems.answer_next["teams"] = [(303, Raw(headers={"Location": f"{systems.url}/elsewhere"}))]
    outbox.case_changed(case(CaseStatus.OPEN, "first"), "opened")
    outbox.deliver()
    clock[0] += timedelta(hours=2)
    outbox.case_changed(case(CaseStatus.OPEN, "again"), "updated")
    outbox.deliver()
    outbox.case_changed(case(CaseStatus.APPLIED, "applied"), "applied")
    outbox.deliver()


def test_no_secret_reaches_any_logger_at_any_level(systems: TicketSystems, tmp_path: Path) -> None:
    basic = [f"{u}:{p}" for u, p in (("", ts.ADO_PAT), (ts.SNOW_USER, ts.SNOW_PASSWORD), (ts.JIRA_EMAIL, ts.JIRA_TOKEN))]
    secrets = [ts.TEAMS_SIG, ts.HOOK_TOKEN, ts.GITHUB_TOKEN, ts.ADO_PAT, ts.SNOW_PASSWORD, ts.JIRA_TOKEN, ts.WEBHOOK_SECRET]
    secrets += [base64.b64encode(b.encode()).decode() for b in basic]
    clock = [T0]
    with every_logger_at_debug() as seen:
        logging.getLogger("urllib3.connectionpool").debug("probe: the capture hears DEBUG from any library")
        outbox = make_outbox(systems, SqliteStore(tmp_path / "state.db"), clock)
        deliver_everything(systems, outbox, clock)
        # And a sink refused at send time: its destination and its error are logged, not its secret.
        refused = make_outbox(
            systems,
            SqliteStore(tmp_path / "refused.db"),
            clock,
            base_url=f"https://{ts.ALIAS}:{systems.port}",
            private_hosts=None,
            resolver=lambda host, port: ["169.254.169.254"],
        )
        refused.case_changed(case(CaseStatus.OPEN, "first"), "opened")
        refused.deliver()
    assert any("probe" in line for line in seen)
    assert any("HTTP 203" in line for line in seen)  # failures are logged, by sink and status
    assert any("link-local" in line for line in seen)
    one_ticket_each(systems)
    leaks = [(s, line) for line in seen for s in secrets if s in line]
    assert leaks == []
    assert not [line for line in seen if "authorization" in line.lower() or "bearer " in line.lower() or "basic " in line.lower()]
    assert not [line for line in seen if "/teams/webhook" in line or "/hook?" in line]  # no secret URL, not even its path
