"""The issue's scenario from the demo's drifted estate: the sweep opens cases; every configured sink
gets one ticket per case; a developer's repeated drift updates it; an approval through the API applies
the fix in the simulator and closes the ticket everywhere; the CloudEvents arrive at the topic (the
simulator's, over HTTPS, through azure-eventgrid's publisher)."""

from __future__ import annotations

import sys

import pytest
import requests

from driftguard.cases.api import ApprovalApi
from driftguard.cases.auth import Role, encode_principal
from functions.devhost import serving
from simulator.server import SimulatorServer
from tests.cases.conftest import ALICE, DEVELOPER, DemoWorld, HostedApp
from tests.cases.test_desk import PUBLIC
from tests.cases.ticket_systems import TicketSystems
from tests.test_function_app import MODULES


def test_a_case_from_detection_to_closed_tickets(
    wired: tuple[DemoWorld, TicketSystems, SimulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    demo, systems, _ = wired
    assert demo.outbox is not None
    opened = len(list(demo.world.store.cases()))
    assert demo.outbox.deliver().deferred == 0
    for name in ("github", "ado", "servicenow", "jira"):
        assert len(systems.tickets[name]) == opened, name  # one ticket per case
    assert len(systems.teams_cards) == opened

    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    # The developer drifts it again: the same case, the same tickets, updated.
    demo.world.act_as(DEVELOPER, "PATCH", case.resource_id, {"properties": {"networkAcls": {"defaultAction": "Allow"}}})
    demo.deliver()
    demo.outbox.deliver()

    hosted = HostedApp(monkeypatch)
    try:
        hosted.runtime.install_approvals(ApprovalApi(lambda: demo.desk, easy_auth=True))
        alice = encode_principal(ALICE.object_id, "Alice Approver", (Role.APPROVER.value,))
        with serving(hosted.functions, principal_header=alice) as host:
            detail = requests.get(f"{host.url}/api/cases/{case.id}", timeout=30).json()
            answer = requests.post(
                f"{host.url}/api/cases/{case.id}/approve",
                json={"reason": "CHG-1001", "plan_digest": detail["plan_digest"]},
                headers={"X-DriftGuard-Request": "1"},
                timeout=30,
            )
    finally:
        for name in MODULES:
            sys.modules.pop(name, None)
    assert answer.status_code == 200, answer.text
    assert answer.json()["case"]["status"] == "applied"
    resource = demo.resource(case.resource_id)
    assert resource is not None
    assert resource["properties"]["publicNetworkAccess"] == "Disabled"  # type: ignore[index]
    demo.outbox.deliver()
    assert demo.world.store.outbox() == []

    title = f"[DriftGuard] {PUBLIC} on oai-contoso-prod-eu"
    for name in ("github", "ado", "servicenow", "jira"):
        mine = [t for t in systems.tickets[name].values() if t.title == title]
        assert len(mine) == 1, name
        assert mine[0].history == ["created", "updated", "closed"], (name, mine[0].history)
    assert len(systems.tickets["github"]) == opened  # nothing else was created
    hooks = [w for w in systems.webhooks if w["ticket"]["case_id"] == case.id]
    assert [w["action"] for w in hooks] == ["created", "updated", "closed"]

    events = demo.world.sim.topic_events
    mine_events = [
        (e["type"], e["data"].get("event")) for e in events if e.get("subject") == case.resource_id and e["data"].get("rule") == PUBLIC
    ]
    assert ("DriftGuard.Finding.Opened", None) in mine_events
    assert ("DriftGuard.Case.Opened", "opened") in mine_events
    assert ("DriftGuard.Case.Decided", "approved") in mine_events
    assert ("DriftGuard.Remediation.Applied", "applied") in mine_events
    assert all(e["specversion"] == "1.0" and e["source"] == "/driftguard" for e in events)
    assert len({e["id"] for e in events}) == len(events)  # each event once
