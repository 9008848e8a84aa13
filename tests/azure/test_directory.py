"""Principals and persona membership from the directory, against the simulator's Graph endpoints."""

from __future__ import annotations

from azure.core.pipeline.transport import RequestsTransport

from driftguard.azure.connection import StaticTokenCredential
from driftguard.azure.directory import Directory
from simulator import Simulator
from simulator.transport import in_process_session

ALICE = "a0000000-0000-4000-8000-000000000001"
PIPELINE = "b0000000-0000-4000-8000-000000000002"
DEVS = "c0000000-0000-4000-8000-000000000003"
NESTED = "d0000000-0000-4000-8000-000000000004"
GONE = "e0000000-0000-4000-8000-000000000005"


def directory(sim: Simulator) -> Directory:
    transport = RequestsTransport(session=in_process_session(sim), session_owner=False)
    return Directory(StaticTokenCredential(), endpoint="https://directory.simulator.local", transport=transport)


def test_principals_exist_or_not_and_have_a_kind(sim: Simulator) -> None:
    sim.directory.add(ALICE, "User", "Alice")
    sim.directory.add(PIPELINE, "ServicePrincipal", "deploy-pipeline")
    found = directory(sim).principals([ALICE.upper(), PIPELINE, GONE, "not-a-guid"])
    assert found[ALICE].kind == "User"
    assert found[PIPELINE].kind == "ServicePrincipal"
    assert found[GONE].exists is False
    assert set(found) == {ALICE, PIPELINE, GONE}  # malformed ids are not asked about


def test_batches_of_1000_ids(sim: Simulator) -> None:
    ids = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(2500)]
    for i in ids[:10]:
        sim.directory.add(i, "User", i)
    sim.reset_log()
    found = directory(sim).principals(ids)
    assert sum(p.exists for p in found.values()) == 10
    assert sum(1 for r in sim.requests if r.path.endswith("getByIds")) == 3


def test_transitive_membership_with_nested_groups_and_paging(sim: Simulator) -> None:
    sim.directory.add(DEVS, "Group", "ai-developers")
    sim.directory.add(NESTED, "Group", "contractors", groups=(DEVS,))
    sim.directory.add(ALICE, "User", "Alice", groups=(NESTED,))
    many = [f"{i:08x}-1111-4000-8000-000000000000" for i in range(1500)]
    for m in many:
        sim.directory.add(m, "User", m, groups=(DEVS,))
    sim.reset_log()
    members = directory(sim).members([DEVS])
    assert members[ALICE] == frozenset({DEVS})  # through the nested group
    assert len(members) == 1502
    assert sum(1 for r in sim.requests if "transitivemembers" in r.path.lower()) == 2  # two pages
