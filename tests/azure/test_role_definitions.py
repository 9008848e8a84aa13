"""Role definitions are read at the id the assignment names (custom roles live in a subscription or a
management group, not at the tenant path), and kept a few minutes at most."""

from __future__ import annotations

from typing import Any

from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential
from driftguard.azure.role_definitions import RoleDefinitions
from driftguard.azure.writes import ArmWriter
from simulator import Simulator, sample
from simulator.transport import BASE_URL, in_process_session

CUSTOM = "c0c0c0c0-0000-4000-8000-00000000c0de"
AT_SUBSCRIPTION = f"/subscriptions/{sample.PROD}/providers/Microsoft.Authorization/roleDefinitions/{CUSTOM}"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"


def custom_role(rid: str = AT_SUBSCRIPTION) -> dict[str, Any]:
    """A custom role as RoleDefinitions_GetById returns it: defined in the subscription, granting everything."""
    return {
        "id": rid,
        "name": CUSTOM,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "ai-platform-operator",
            "type": "CustomRole",
            "description": "Everything, for the platform team",
            "assignableScopes": [f"/subscriptions/{sample.PROD}"],
            "permissions": [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}],
        },
    }


def reader(sim: Simulator) -> ArmWriter:
    conn = ArmConnection(BASE_URL, StaticTokenCredential(), session=in_process_session(sim), polling_interval=0)
    return ArmWriter(RawArm(conn), BASE_URL, poll_interval_s=0)


def definition_reads(sim: Simulator) -> list[str]:
    return [r.path for r in sim.requests if r.method == "GET" and "/roledefinitions/" in r.path.lower()]


def test_the_id_the_assignment_names_is_read() -> None:
    sim = Simulator(sample.build())
    sim.estate.put(custom_role())
    found = RoleDefinitions(reader(sim).read).get(AT_SUBSCRIPTION)
    assert found is not None
    assert found["properties"]["permissions"][0]["actions"] == ["*"]
    assert definition_reads(sim) == [AT_SUBSCRIPTION]  # never /providers/Microsoft.Authorization/roleDefinitions/{id}


def test_one_read_per_role_through_an_id_that_names_it() -> None:
    sim = Simulator(sample.build())
    sim.estate.put(custom_role())
    other_sub = f"/subscriptions/{sample.DEV}/providers/Microsoft.Authorization/roleDefinitions/{OWNER}"
    owner = f"/subscriptions/{sample.PROD}/providers/Microsoft.Authorization/roleDefinitions/{OWNER}"
    found = RoleDefinitions(reader(sim).read).by_guid([AT_SUBSCRIPTION, AT_SUBSCRIPTION, owner, other_sub, "not an id"])
    assert set(found) == {CUSTOM, OWNER}
    assert found[CUSTOM] is not None
    assert found[OWNER] is not None
    assert sorted(definition_reads(sim)) == sorted([AT_SUBSCRIPTION, owner])


def test_definitions_are_kept_minutes_not_forever() -> None:
    sim = Simulator(sample.build())
    sim.estate.put(custom_role())
    now = [0.0]
    definitions = RoleDefinitions(reader(sim).read, clock=lambda: now[0])
    definitions.get(AT_SUBSCRIPTION)
    now[0] += 60
    definitions.get(AT_SUBSCRIPTION)
    assert len(definition_reads(sim)) == 1
    widened = custom_role()
    widened["properties"]["permissions"][0]["dataActions"] = ["*"]
    sim.estate.put(widened)
    now[0] += 300
    found = definitions.get(AT_SUBSCRIPTION)
    assert found is not None
    assert found["properties"]["permissions"][0]["dataActions"] == ["*"]  # the change is seen
    assert len(definition_reads(sim)) == 2
