"""Sinks send only to destinations they may: https, no user info, and a host that resolves to public
addresses unless DRIFTGUARD_SINK_PRIVATE_HOSTS names it. Judged at start-up on what the URLs say, and at
every connection on what the host resolves to then, before any byte (and so any credential) is sent.
Against the local stand-ins of the ticket systems on 127.0.0.1, by address and by another name
(`tickets.example`, whose DNS answers the tests give)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from driftguard.policy import ConfigError, load_settings
from driftguard.store.base import CaseStatus
from driftguard.store.sqlite import SqliteStore
from tests.cases import ticket_systems as ts
from tests.cases.test_sinks import T0, case, make_outbox
from tests.cases.ticket_systems import TicketSystems, sink_settings
from tests.test_function_app import fresh_app

SECRETS = (ts.TEAMS_SIG, ts.HOOK_TOKEN, ts.GITHUB_TOKEN, ts.ADO_PAT, ts.SNOW_PASSWORD, ts.JIRA_TOKEN, ts.WEBHOOK_SECRET)


class Dns:
    """DNS for tickets.example as the test says, one lookup counted per connection."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = list(addresses)
        self.lookups = 0

    def __call__(self, host: str, port: int) -> list[str]:
        assert host == ts.ALIAS
        self.lookups += 1
        return list(self.addresses)


def test_without_the_setting_a_loopback_sink_stops_start_up_naming_its_setting(systems: TicketSystems) -> None:
    environ, sinks = sink_settings(systems.url)
    del environ["DRIFTGUARD_SINK_PRIVATE_HOSTS"]
    expected = {"teams": "TEAMS_URL", "hook": "HOOK_URL"}
    for sink in sinks:
        with pytest.raises(ConfigError, match="loopback") as refused:
            load_settings({"DRIFTGUARD_SINKS": json.dumps([sink]), **environ})
        message = str(refused.value)
        assert message.startswith(f"setting {expected.get(sink['name'], 'DRIFTGUARD_SINKS')}"), message
        assert not [s for s in SECRETS if s in message]
    assert systems.connections == 0


def test_a_name_that_resolves_to_a_private_address_is_refused_before_any_byte_is_sent(systems: TicketSystems, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    dns = Dns(ts.HOST)
    # A name passes start-up: what it resolves to is judged at each connection.
    outbox = make_outbox(systems, store, [T0], base_url=f"https://{ts.ALIAS}:{systems.port}", private_hosts=None, resolver=dns)
    outbox.case_changed(case(CaseStatus.OPEN, "first"), "opened")
    done = outbox.deliver()
    assert (done.delivered, done.deferred) == (0, 6)
    for item in store.outbox():
        assert f"destination refused: host {ts.ALIAS} resolves to 127.0.0.1, a loopback address" in item.last_error, item.sink
    # One public address does not carry a private one through: the host is refused whole.
    dns.addresses = ["20.50.2.1", "10.0.0.9"]
    store2 = SqliteStore(tmp_path / "state2.db")
    mixed = make_outbox(systems, store2, [T0], base_url=f"https://{ts.ALIAS}:{systems.port}", private_hosts=None, resolver=dns)
    mixed.case_changed(case(CaseStatus.OPEN, "first"), "opened")
    assert mixed.deliver().deferred == 6
    assert all("resolves to 10.0.0.9, a private address" in i.last_error for i in store2.outbox())
    # Nothing reached the stand-ins: no connection, so no token, password or signed URL.
    assert systems.connections == 0
    assert systems.received == []


def test_a_named_private_host_is_reached_at_the_checked_address_and_a_rebinding_is_refused(systems: TicketSystems, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    clock = [T0]
    dns = Dns(ts.HOST)
    outbox = make_outbox(systems, store, clock, base_url=f"https://{ts.ALIAS}:{systems.port}", private_hosts=ts.ALIAS, resolver=dns)
    outbox.case_changed(case(CaseStatus.OPEN, "first"), "opened")
    assert outbox.deliver().delivered == 6
    # Every connection resolved the name afresh and went to the checked address; TLS verified the name.
    assert dns.lookups == systems.connections == len(systems.received)
    assert all(r.headers["host"] == f"{ts.ALIAS}:{systems.port}" for r in systems.received)
    # The name now answers the instance metadata address: refused, named or not, before connecting.
    dns.addresses = ["169.254.169.254"]
    connections = systems.connections
    outbox.case_changed(case(CaseStatus.APPLIED, "applied"), "applied")
    done = outbox.deliver()
    assert (done.delivered, done.deferred) == (0, 6)
    assert all("169.254.169.254, a link-local address" in i.last_error for i in store.outbox())
    assert systems.connections == connections
    # DNS answers honestly again: the waiting items go out, nothing lost.
    dns.addresses = [ts.HOST]
    clock[0] += timedelta(minutes=3)
    assert outbox.deliver().delivered == 6
    assert [t.history for t in systems.tickets["github"].values()] == [["created", "closed"]]


def test_an_http_url_in_a_secret_stops_the_app_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    sinks = [{"name": "teams", "kind": "teams", "url_setting": "TEAMS_URL"}]
    with pytest.raises(ConfigError, match=r"^setting TEAMS_URL \(the URL of sink 'teams'\): must be an https:// URL") as refused:
        fresh_app(monkeypatch, DRIFTGUARD_SINKS=json.dumps(sinks), TEAMS_URL=f"http://teams.example/x?sig={ts.TEAMS_SIG}")
    assert ts.TEAMS_SIG not in str(refused.value)
