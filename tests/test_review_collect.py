"""The access review reads its inputs where Azure keeps them: a custom role defined in a subscription
is read there (not at the tenant path) and an assignment of it is judged."""

from __future__ import annotations

from datetime import UTC, datetime

from azure.core.pipeline.transport import RequestsTransport

from driftguard import rules
from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential
from driftguard.azure.directory import Directory
from driftguard.azure.inventory import LiveInventory
from driftguard.azure.resource_graph import Scope
from driftguard.azure.writes import ArmWriter
from driftguard.policy import Policy
from driftguard.review import Review, collect
from simulator import Simulator, sample
from simulator.roles import role_assignment
from simulator.transport import BASE_URL, in_process_session
from tests.azure.test_role_definitions import AT_SUBSCRIPTION, CUSTOM, custom_role

OAI = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod"
HOLDER = "a1b2c3d4-0000-4000-8000-00000000a001"  # Alice Okafor in the sample's directory


def review(sim: Simulator) -> Review:
    conn = ArmConnection(BASE_URL, StaticTokenCredential(), session=in_process_session(sim), polling_interval=0)
    inventory = LiveInventory(conn, Scope(subscriptions=sample.SUBSCRIPTIONS), rule_types=rules.rule_types(), deep=False)
    transport = RequestsTransport(session=in_process_session(sim), session_owner=False)
    try:
        return collect(
            graph=inventory.graph,
            arm=ArmWriter(RawArm(conn), BASE_URL),
            directory=Directory(StaticTokenCredential(), endpoint="https://graph.simulator.local", transport=transport),
            activity=None,
            scope=inventory.scope,
            policy=Policy(),
            now=datetime.now(UTC),
            ai_resource_ids=[OAI],
        )
    finally:
        inventory.close()


def test_an_assignment_of_a_custom_role_from_the_subscription_is_judged() -> None:
    sim = Simulator(sample.build(), management_groups=sample.MANAGEMENT_GROUPS)
    sample.seed_directory(sim)
    sim.estate.put(custom_role())
    assignment = role_assignment(OAI, "0f6b0c1e-0046-4a00-8000-000000000046", CUSTOM, HOLDER, sub=sample.PROD)
    assert assignment["properties"]["roleDefinitionId"] == AT_SUBSCRIPTION
    sim.estate.put(assignment)
    done = review(sim)
    [row] = [r for r in done.rows if r.assignment_id == assignment["id"]]
    assert row.role_name == "ai-platform-operator"
    assert row.privileged
    assert row.verdicts["authorization_roleassignment_privileged_not_standing"].startswith("fail")
    assert "grants every action" in row.verdicts["authorization_roleassignment_privileged_not_standing"]
    reads = [r.path for r in sim.requests if r.method == "GET" and r.path.lower().endswith(CUSTOM)]
    assert reads == [AT_SUBSCRIPTION]
