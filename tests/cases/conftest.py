"""The demo's drifted estate with its cases: the simulator swept once, every case it opened recorded."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from driftguard import compose
from driftguard.azure.connection import StaticTokenCredential
from driftguard.azure.publish import EventPublisher
from driftguard.cases.auth import Principal, Role
from driftguard.cases.outbox import Outbox
from driftguard.cases.sinks.registry import build_sinks
from driftguard.policy import Policy, load_policy, load_settings
from driftguard.respond import Result
from driftguard.store.base import Case, CaseStatus
from simulator.server import SimulatorServer
from tests.cases.ticket_systems import TicketSystems, sink_settings
from tests.test_function_app import MODULES, fresh_app

ROOT = Path(__file__).resolve().parents[2]
DEVELOPER = "de7de7de-0000-4000-8000-000000000002"
ALICE = Principal("a11ce000-0000-4000-8000-00000000000a", "Alice <b>Approver</b>", frozenset({Role.APPROVER.value}))
BOB = Principal("b0b00000-0000-4000-8000-00000000000b", "Bob Approver", frozenset({Role.APPROVER.value}))
DEV_APPROVER = Principal(DEVELOPER, "Dev (also an approver)", frozenset({Role.APPROVER.value}))


class DemoWorld:
    """`start()` sweeps the simulated estate; before it, `outbox` may be set to hear every case and
    finding, as in production."""

    def __init__(self, tmp: Path, policy: Policy) -> None:
        self.policy = policy
        self.told: list[tuple[str, str]] = []  # (case id, event) as the listeners heard them
        self.outbox: Outbox | None = None
        self.world = compose.SimulatedWorld(tmp, policy, case_listeners=(self.tell,), notice_listeners=(self.notice,))
        self.desk = self.world.desk(policy, listeners=(self.tell,))

    def start(self) -> DemoWorld:
        self.world.sweep()
        return self

    def tell(self, case: Case, event: str) -> None:
        self.told.append((case.id, event))
        if self.outbox is not None:
            self.outbox.case_changed(case, event)

    def notice(self, kind: str, subject: str, data: Mapping[str, Any]) -> None:
        if self.outbox is not None:
            self.outbox.notice(kind, subject, data)

    def deliver(self) -> list[Result]:
        return self.world.deliver()

    def open_case(self, rule: str, name: str) -> Case:
        found = [c for c in self.world.store.cases(status=CaseStatus.OPEN) if c.rule == rule and c.resource_id.endswith(f"/{name}")]
        assert len(found) == 1, [c.resource_id for c in found]
        return found[0]

    def resource(self, rid: str) -> dict[str, object] | None:
        return self.world.sim.estate.get(rid)


@pytest.fixture
def demo(tmp_path: Path) -> DemoWorld:
    return DemoWorld(tmp_path, load_policy(ROOT / "examples" / "policy.json")).start()


class HostedApp:
    """function_app as the Functions host loads it: its functions indexed once, its runtime."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.module = fresh_app(monkeypatch)
        self.functions = self.module.app.get_functions()
        self.runtime = sys.modules["functions.runtime"]

    def function(self, name: str) -> Any:
        return next(f for f in self.functions if f.get_function_name() == name).get_user_function()


@pytest.fixture
def hosted(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostedApp]:
    hosted = HostedApp(monkeypatch)
    yield hosted
    for name in MODULES:
        sys.modules.pop(name, None)


@pytest.fixture
def systems(tmp_path: Path) -> Iterator[TicketSystems]:
    """The ticket systems' stand-ins, checking every request's shape."""
    with TicketSystems(tmp_path) as systems:
        yield systems
    assert systems.violations == []


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[tuple[DemoWorld, TicketSystems, SimulatorServer]]:
    demo = DemoWorld(tmp_path, load_policy(ROOT / "examples" / "policy.json"))
    with TicketSystems(tmp_path) as systems, SimulatorServer(demo.world.sim, workdir=tmp_path / "sim") as topic:
        environ, sinks = sink_settings(systems.url)
        settings = load_settings(
            {
                "DRIFTGUARD_SINKS": json.dumps(sinks),
                "DRIFTGUARD_CONSOLE_URL": "https://driftguard.example/api/console",
                "DRIFTGUARD_EVENTS_TOPIC_ENDPOINT": f"{topic.base_url}/api/events",
                **environ,
            }
        )
        assert settings.events_topic_endpoint is not None
        publisher = EventPublisher(settings.events_topic_endpoint, StaticTokenCredential("sim:driftguard"), verify=topic.ca_file)
        demo.outbox = Outbox(
            demo.world.store,
            sinks=build_sinks(settings, environ, ca_file=systems.ca_file),
            publisher=publisher,
            console_url=settings.console_url,
        )
        demo.start()
        yield demo, systems, topic
        publisher.close()
    assert systems.violations == []
