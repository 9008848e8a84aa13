"""The evaluate stage joins deployments to RAI policies and storage to AI resources in any order."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from driftguard.inventory import ListInventory
from driftguard.model import Mode, Source
from driftguard.pipeline import Evaluator
from driftguard.policy import Policy
from simulator import builders as b


def run(items: list[dict[str, Any]], policy: Policy | None = None) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    findings, summary = Evaluator(policy or Policy()).run(ListInventory(iter(items), source=Source.SNAPSHOT))
    return {(f.rule, f.resource_id.rsplit("/", 1)[-1]) for f in findings}, summary.to_json()


def estate() -> list[dict[str, Any]]:
    a1 = b.cognitive_account("s", "rg", "a1")
    a2 = b.cognitive_account("s", "rg", "a2")
    st = b.storage_account("s", "rg", "st1", shared_key=True)
    ws = b.workspace("s", "rg", "ws", storage=st["id"])
    return [
        a1,
        b.deployment(a1["id"], "good", rai_policy="strict"),
        b.deployment(a1["id"], "weak", rai_policy="relaxed"),
        b.rai_policy(a1["id"], "strict"),
        b.rai_policy(a1["id"], "relaxed", jailbreak=False),
        a2,
        b.deployment(a2["id"], "orphan", rai_policy="gone"),
        st,
        ws,
    ]


CF = "cognitiveservices_deployment_content_filter_enforced"
EXPECTED = {
    (CF, "weak"),
    (CF, "relaxed"),
    (CF, "orphan"),
    ("storage_account_shared_key_disabled", "st1"),
}


def relevant(found: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {f for f in found if f[0] in (CF, "storage_account_shared_key_disabled")}


def test_resource_graph_order() -> None:
    found, summary = run(estate())
    assert relevant(found) == EXPECTED
    assert summary["evaluated"] == 9


@pytest.mark.parametrize("seed", range(6))
def test_any_order_gives_the_same_findings(seed: int) -> None:
    items = estate()
    random.Random(seed).shuffle(items)
    assert relevant(run(items)[0]) == EXPECTED


def test_policy_far_after_its_deployment_is_still_joined() -> None:
    items = estate()
    policies = [i for i in items if i["type"].endswith("raiPolicies")]
    rest = [i for i in items if not i["type"].endswith("raiPolicies")]
    filler = [b.cognitive_account("s", "rg2", f"x{n}") for n in range(5)]
    assert relevant(run(list(itertools.chain(rest, filler, policies)))[0]) == EXPECTED


def test_without_any_rai_policy_custom_ones_are_not_evaluated() -> None:
    items = [i for i in estate() if not i["type"].endswith("raiPolicies")]
    found, summary = run(items)
    assert not [f for f in found if f[0] == CF]
    assert summary["not_evaluated"][CF] == {"custom RAI policies were not part of the inventory": 3}


def test_mode_off_for_a_scope_drops_findings_there() -> None:
    from driftguard.policy import ModeOverride

    policy = Policy(
        overrides=(
            ModeOverride(
                rule=CF, scope="/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a2", mode=Mode.OFF
            ),
        )
    )
    assert (CF, "orphan") not in run(estate(), policy)[0]
    assert (CF, "weak") in run(estate(), policy)[0]


ML_PUBLIC = "machinelearning_workspace_public_network_access_disabled"


@pytest.mark.parametrize("hub_first", [True, False])
def test_a_project_is_judged_on_the_hub_in_the_inventory_whatever_the_order(hub_first: bool) -> None:
    open_hub = b.workspace("s", "rg", "hub-open", public=True)
    closed_hub = b.workspace("s", "rg", "hub-closed", public=False)
    under_open = b.workspace("s", "rg", "proj-a", kind="Project", public=False, isolation=None, hub_id=open_hub["id"])
    under_closed = b.workspace("s", "rg", "proj-b", kind="Project", public=True, isolation=None, hub_id=closed_hub["id"])
    hubs, projects = [open_hub, closed_hub], [under_open, under_closed]
    found, summary = run(hubs + projects if hub_first else projects + hubs)
    assert {f for f in found if f[0] == ML_PUBLIC} == {(ML_PUBLIC, "hub-open"), (ML_PUBLIC, "proj-a")}
    assert summary["evaluated"] == 4


def test_a_project_whose_hub_is_not_in_the_inventory_is_not_evaluated() -> None:
    project = b.workspace(
        "s",
        "rg",
        "proj",
        kind="Project",
        public=True,
        isolation=None,
        hub_id="/subscriptions/t/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/elsewhere",
    )
    found, summary = run([project])
    assert not [f for f in found if f[0] == ML_PUBLIC]
    [reason] = summary["not_evaluated"][ML_PUBLIC]
    assert "elsewhere" in reason
