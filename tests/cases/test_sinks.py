"""Every sink against a local stand-in of its system's API (HTTPS, request shapes checked): a case's
ticket is created once, updated on repeat, closed when the case closes and reopened by a new case of
the same key; HTML typed anywhere stays text; a sink outage waits in the outbox, nothing lost."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from driftguard.cases.outbox import Outbox
from driftguard.cases.sinks._http import Resolver, resolve
from driftguard.cases.sinks.registry import build_sinks
from driftguard.policy import ConfigError, load_settings
from driftguard.store.base import Case, CaseStatus, OutboxItem
from driftguard.store.sqlite import SqliteStore
from tests.cases import ticket_systems as ts
from tests.cases.ticket_systems import TicketSystems, sink_settings

ATTACK = '<script>alert("x")</script><img src=x onerror=alert(1)> **bold** [link](javascript:alert(1))'
RID = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"
T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def make_outbox(
    systems: TicketSystems,
    store: SqliteStore,
    clock: list[datetime],
    *,
    base_url: str | None = None,
    private_hosts: str | None = ts.HOST,
    resolver: Resolver = resolve,
) -> Outbox:
    """An outbox delivering to one sink of each kind at the stand-ins (or at `base_url`, another name
    for them), through the real sinks and their HTTP. `private_hosts` None: the setting is not set."""
    environ, sinks = sink_settings(base_url or systems.url)
    environ.pop("DRIFTGUARD_SINK_PRIVATE_HOSTS")
    if private_hosts is not None:
        environ["DRIFTGUARD_SINK_PRIVATE_HOSTS"] = private_hosts
    settings = load_settings({"DRIFTGUARD_SINKS": json.dumps(sinks), "DRIFTGUARD_CONSOLE_URL": "https://dg.example/api/console", **environ})
    return Outbox(
        store,
        sinks=build_sinks(settings, environ, ca_file=systems.ca_file, resolver=resolver),
        console_url=settings.console_url,
        clock=lambda: clock[0],
        max_wait_s=0.01,
    )


def case(status: CaseStatus, reason: str, *, generation: int = 0, at: datetime = T0, rid: str = RID) -> Case:
    plan = {
        "remediation": "x",
        "resource_id": RID,
        "steps": [],
        "before": {"properties.publicNetworkAccess": "Enabled"},
        "after": {"properties.publicNetworkAccess": "Disabled"},
        "summary": "disable public network access",
    }
    evidence = {"finding": {"severity": "high"}, "caller_object_id": "de7de7de-0000-4000-8000-000000000002"}
    return Case(
        f"rule|{RID}",
        "cognitiveservices_account_public_network_access_disabled",
        RID,
        status,
        reason,
        at,
        at,
        plan,
        "d" * 64,
        evidence,
        generation=generation,
    )


def all_tickets(systems: TicketSystems) -> dict[str, list[ts.Ticket]]:
    return {name: list(tickets.values()) for name, tickets in systems.tickets.items()}


def test_each_sink_creates_once_updates_closes_and_reopens(systems: TicketSystems, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    clock = [T0]
    outbox = make_outbox(systems, store, clock)
    outbox.case_changed(case(CaseStatus.OPEN, ATTACK), "opened")
    assert outbox.deliver().delivered == 6
    outbox.case_changed(case(CaseStatus.OPEN, "seen again"), "updated")
    outbox.case_changed(case(CaseStatus.OPEN, "seen a third time"), "updated")  # coalesced with the one before
    assert outbox.deliver().delivered == 12
    outbox.case_changed(case(CaseStatus.APPLIED, "applied"), "applied")
    outbox.deliver()
    for name, tickets in all_tickets(systems).items():
        assert len(tickets) == 1, name
        assert tickets[0].history == ["created", "updated", "closed"], name
    outbox.case_changed(case(CaseStatus.OPEN, "drifted again", generation=1), "opened")
    outbox.deliver()
    for name, tickets in all_tickets(systems).items():
        assert len(tickets) == 1, name  # the same ticket, reopened
        assert tickets[0].history[-1] == "reopened", name
    assert [t.state for t in systems.tickets["github"].values()] == ["open"]
    assert len(systems.teams_cards) == 4
    assert [w["action"] for w in systems.webhooks] == ["created", "updated", "closed", "updated"]
    assert store.outbox() == []
    snow = next(iter(systems.tickets["servicenow"].values()))
    assert snow.body["correlation_id"].startswith("driftguard-")
    assert f"rule|{RID}" in snow.body["description"]


def test_html_and_markdown_stay_text_in_every_sink(systems: TicketSystems, tmp_path: Path) -> None:
    outbox = make_outbox(systems, SqliteStore(tmp_path / "state.db"), [T0])
    outbox.case_changed(case(CaseStatus.OPEN, ATTACK, rid=f"{RID}-<b>x</b>"), "opened")  # markup in the name too
    outbox.deliver()
    github = next(iter(systems.tickets["github"].values())).body
    ado = next(iter(systems.tickets["ado"].values())).body
    card = json.dumps(systems.teams_cards[0])
    for rendered in (github, ado, card):
        assert "<script" not in rendered
        assert "<img" not in rendered
        assert "<b>" not in rendered
    for markdown in (github, card):  # HTML has no Markdown links to fear; Markdown does
        assert "](javascript:" not in markdown
    assert "&lt;script&gt;" in github
    assert "\\*\\*bold\\*\\*" in github
    assert "&lt;script&gt;" in ado
    # Jira: the text is a text node, shown as typed.
    jira = next(iter(systems.tickets["jira"].values())).body
    texts = [n["text"] for p in jira["content"] for n in p["content"]]
    assert ATTACK in texts
    marks = {m["type"] for p in jira["content"] for n in p["content"] for m in n.get("marks", [])}
    assert marks <= {"strong", "link"}
    links = [m["attrs"]["href"] for p in jira["content"] for n in p["content"] for m in n.get("marks", []) if m["type"] == "link"]
    assert all(link.startswith("https://dg.example/api/console#case=") for link in links)


def test_an_outage_waits_in_the_outbox_and_loses_nothing(systems: TicketSystems, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    clock = [T0]
    outbox = make_outbox(systems, store, clock)
    systems.fail_next["github"] = 100  # down for longer than the bounded retries
    systems.fail_next["jira"] = 1  # one blip: the in-run retry absorbs it
    outbox.case_changed(case(CaseStatus.OPEN, "first"), "opened")
    first = outbox.deliver()
    assert first.delivered == 5
    assert first.deferred == 1
    waiting = store.outbox()
    assert [i.sink for i in waiting] == ["github"]
    assert waiting[0].attempts == 1
    assert "HTTP 503" in waiting[0].last_error
    assert systems.tickets["jira"]  # created after the blip
    outbox.case_changed(case(CaseStatus.APPLIED, "applied"), "applied")
    assert outbox.deliver().waiting == 2  # both github items wait for the first one's retry time, in order
    systems.fail_next["github"] = 0
    clock[0] += timedelta(hours=1, minutes=1)
    assert outbox.deliver().delivered == 2
    github = list(systems.tickets["github"].values())
    assert len(github) == 1
    assert github[0].history == ["created", "closed"]  # the newest state, once
    assert store.outbox() == []


def test_removed_sink_and_missing_secret(systems: TicketSystems, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    now = T0
    store.enqueue([OutboxItem("20261129T100000000000Z-aaaa", "gone", "k", {"event": "opened", "case": {}}, now, now)])
    assert make_outbox(systems, store, [now]).deliver().dropped == 1
    environ, sinks = sink_settings(systems.url)
    del environ["JIRA_TOKEN"]
    with pytest.raises(ConfigError, match="JIRA_TOKEN"):
        load_settings({"DRIFTGUARD_SINKS": json.dumps(sinks), **environ})
    with pytest.raises(ConfigError, match="TEAMS_URL"):  # found at start-up, not at the first ticket
        load_settings({"DRIFTGUARD_SINKS": json.dumps(sinks[:1]), "TEAMS_URL": "http://plain.example/x"})


def test_an_overdue_case_is_notified_again(systems: TicketSystems, tmp_path: Path) -> None:
    outbox = make_outbox(systems, SqliteStore(tmp_path / "state.db"), [T0])
    outbox.case_changed(case(CaseStatus.OPEN, "first sight"), "opened")
    outbox.deliver()
    outbox.case_changed(case(CaseStatus.OPEN, "first sight"), "reminder")
    outbox.deliver()
    assert "past its SLA" in systems.teams_cards[-1]["body"][0]["text"]
    for name in ("github", "ado", "servicenow", "jira"):
        assert [t.history for t in systems.tickets[name].values()] == [["created", "updated"]], name
