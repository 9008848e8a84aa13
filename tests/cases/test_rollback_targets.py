"""Rollbacks put back exactly what the fix changed, where it changed it: the whole identity (refused,
409, when a user-assigned identity was added since, which it would drop), and for a Machine Learning
project the hub its fix wrote to. Decided through the desk on the simulated estate."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftguard.cases import Refused
from driftguard.model import Mode
from driftguard.policy import load_policy
from driftguard.store.base import CaseStatus
from simulator import sample
from tests.cases.conftest import ALICE, BOB, DEVELOPER, ROOT, DemoWorld

IDENTITY = "cognitiveservices_account_managed_identity_enabled"
ML_PUBLIC = "machinelearning_workspace_public_network_access_disabled"
DEV_RG = f"/subscriptions/{sample.DEV}/resourceGroups/rg-ai-dev"
OAI_DEV = f"{DEV_RG}/providers/Microsoft.CognitiveServices/accounts/oai-contoso-dev"
UAI = f"{DEV_RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-batch"
PROD_RG = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod"
HUB = f"{PROD_RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-hub-prod"


def world(tmp_path: Path, rule: str) -> DemoWorld:
    policy = load_policy(ROOT / "examples" / "policy.json")
    return DemoWorld(tmp_path, policy.model_copy(update={"modes": {**policy.modes, rule: Mode.APPROVE}}))


def test_identity_rollback_restores_the_whole_identity_and_never_drops_one_added_since(tmp_path: Path) -> None:
    demo = world(tmp_path, IDENTITY).start()
    case = demo.open_case(IDENTITY, "oai-contoso-dev")
    assert demo.desk.approve(case.id, ALICE, reason="ok", plan_digest=case.plan_digest).case.status is CaseStatus.APPLIED
    account = demo.resource(OAI_DEV)
    assert account is not None
    assert account["identity"]["type"] == "SystemAssigned"  # type: ignore[index]

    # Someone adds a user-assigned identity: putting "None" back would drop it.
    added = {"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {UAI: {}}}}
    assert demo.world.act_as(DEVELOPER, "PATCH", OAI_DEV, added) in (200, 202)
    demo.world.settle()
    with pytest.raises(Refused) as refused:
        demo.desk.request_rollback(case.id, BOB, reason="the batch job breaks")
    assert refused.value.status == 409
    assert "id-batch" in str(refused.value)
    assert UAI in demo.resource(OAI_DEV)["identity"]["userAssignedIdentities"]  # type: ignore[index]

    # Once it is gone again, the rollback puts back exactly the identity recorded before the fix.
    assert demo.world.act_as(DEVELOPER, "PATCH", OAI_DEV, {"identity": {"type": "SystemAssigned"}}) in (200, 202)
    demo.world.settle()
    rollback = demo.desk.request_rollback(case.id, BOB, reason="the batch job breaks").next_case
    assert rollback is not None
    assert rollback.plan is not None
    assert [s["body"] for s in rollback.plan["steps"]] == [{"identity": {"type": "None"}}]
    done = demo.desk.approve(rollback.id, ALICE, reason="ok", plan_digest=rollback.plan_digest)
    assert done.case.status is CaseStatus.APPLIED, done.message
    assert demo.resource(OAI_DEV)["identity"] == {"type": "None"}  # type: ignore[index]


def test_a_projects_fix_is_rolled_back_on_the_hub_it_changed(tmp_path: Path) -> None:
    demo = world(tmp_path, ML_PUBLIC)
    hub = demo.world.sim.estate.get(HUB)
    assert hub is not None
    hub["properties"]["publicNetworkAccess"] = "Enabled"
    demo.world.sim.estate.put(hub)
    demo.start()
    case = demo.open_case(ML_PUBLIC, "mlw-proj-chat")
    assert case.plan is not None
    assert [s["path"] for s in case.plan["steps"]] == [HUB]  # a project inherits its network settings
    assert demo.desk.approve(case.id, ALICE, reason="ok", plan_digest=case.plan_digest).case.status is CaseStatus.APPLIED
    assert demo.resource(HUB)["properties"]["publicNetworkAccess"] == "Disabled"  # type: ignore[index]

    rollback = demo.desk.request_rollback(case.id, BOB, reason="the notebooks need it").next_case
    assert rollback is not None
    assert rollback.resource_id == HUB
    assert rollback.plan is not None
    assert [(s["method"], s["path"]) for s in rollback.plan["steps"]] == [("PATCH", HUB)]
    done = demo.desk.approve(rollback.id, ALICE, reason="ok", plan_digest=rollback.plan_digest)
    assert done.case.status is CaseStatus.APPLIED, done.message
    assert demo.resource(HUB)["properties"]["publicNetworkAccess"] == "Enabled"  # type: ignore[index]
