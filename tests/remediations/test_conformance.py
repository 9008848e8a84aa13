"""Every plan and every rollback of every remediation, for every resource type it declares, is a request
Azure has: an operation of the SDK (or the declared spec) at the same api-version, with a body the
operation's model takes whole as writable, valid values (nothing the provider would ignore or refuse).

The operations and models come from `simulator.spec`, which reads them out of the azure-mgmt packages:
nothing here is written to agree with the remediations."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

import remediations
from driftguard.model import Plan, Step
from remediations.base import CannotPlan, PlanContext
from simulator import Estate, Simulator
from simulator import builders as b
from simulator.spec import BodyRefused, catalog
from tests.remediations.test_contract import ACCOUNT, SUB, Case, cases

FOREIGN = "/subscriptions/99999999-9999-4999-8999-999999999999/resourceGroups/x/providers/Microsoft.Network/privateEndpoints/pe"

# The worst resource of each type: every setting a remediation fixes, drifted.
DRIFTED: dict[str, Callable[[], dict[str, Any]]] = {
    "microsoft.cognitiveservices/accounts": lambda: b.cognitive_account(
        SUB, "rg", "oai", public=True, default_action="Allow", local_auth=True, identity=False, private_endpoints=[FOREIGN]
    ),
    "microsoft.search/searchservices": lambda: b.search_service(SUB, "rg", "srch", public=True, local_auth=True, identity=False),
    "microsoft.storage/storageaccounts": lambda: b.storage_account(SUB, "rg", "st", public=True, blob_public=True, shared_key=True),
    "microsoft.machinelearningservices/workspaces": lambda: b.workspace(SUB, "rg", "ws", public=True, datastore_auth="AccessKey"),
    "microsoft.cognitiveservices/accounts/deployments": lambda: b.deployment(ACCOUNT["id"], "gpt", rai_policy="relaxed"),
    "microsoft.cognitiveservices/accounts/raipolicies": lambda: b.rai_policy(ACCOUNT["id"], "strict", jailbreak=False),
    "microsoft.cognitiveservices/accounts/defenderforaisettings": lambda: b.defender_setting(ACCOUNT["id"], enabled=False),
    "microsoft.security/pricings": lambda: b.pricing(SUB, standard=False),
    "microsoft.app/sessionpools": lambda: b.session_pool(SUB, "rg", "pool", egress=True),
}


def targets() -> Iterator[tuple[str, str]]:
    for rid, remediation in sorted(remediations.registry().items()):
        for rtype in remediation.resource_types:
            yield rid, rtype


def plan_for(rid: str, rtype: str) -> tuple[Plan | None, dict[str, Any], Case]:
    case = cases()[rid]
    same = str(case.target["type"]).lower() == rtype.lower()
    target = case.target if same else DRIFTED[rtype.lower()]()
    baseline = case.baseline if same else _baseline(rtype)
    context = PlanContext(policy=case.policy, baseline=baseline, extra=case.extra)
    return remediations.registry()[rid].plan(target, context), target, case


def _baseline(rtype: str) -> dict[str, Any] | None:
    if rtype.lower() == "microsoft.cognitiveservices/accounts/raipolicies":
        return b.rai_policy(ACCOUNT["id"], "strict")
    if rtype.lower() == "microsoft.cognitiveservices/accounts/deployments":
        return b.deployment(ACCOUNT["id"], "gpt", rai_policy="strict")
    return None


def conformance_problems(step: Step) -> list[str]:
    matched = catalog().match(step.method, step.path)
    if matched is None:
        return [f"{step.method} {step.path}: no such operation in the spec"]
    op, _ = matched
    problems = []
    if op.api_version != step.api_version:
        problems.append(f"{op.id}: sent at {step.api_version}, the spec's version is {op.api_version}")
    for name, value in _params(op.template, step.path).items():
        allowed = op.param_enums.get(name)
        if allowed is not None and value not in allowed:
            problems.append(f"{op.id}: {name} {value!r} is not one of {allowed}")
    if op.body is None:
        if step.body is not None:
            problems.append(f"{op.id} takes no body, the plan sends {step.body}")
        return problems
    if step.body is None:
        return [*problems, f"{op.id} needs a {op.body.name} body"]
    try:
        taken = op.body.clean(step.body)
    except BodyRefused as e:
        return [*problems, f"{op.id}: {e.message}"]
    if _canonical(taken) != _canonical(step.body):
        problems.append(f"{op.id}: the provider would ignore part of the body: sent {step.body}, taken {taken}")
    return problems


def _params(template: str, path: str) -> dict[str, str]:
    matched = catalog().match("GET", path) or catalog().match("POST", path)
    return matched[1] if matched else {}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


@pytest.mark.parametrize(("rid", "rtype"), sorted(targets()))
def test_every_plan_is_an_operation_azure_has_with_a_body_its_model_takes(rid: str, rtype: str) -> None:
    reason = ""
    try:
        plan, _, _ = plan_for(rid, rtype)
    except CannotPlan as e:
        reason, plan = str(e), None
    if reason:
        assert len(reason) > 20  # no automated fix for this type: the case says what a person has to do
        return
    assert plan is not None, f"{rid} planned nothing for a drifted {rtype}"
    problems = [p for step in plan.steps for p in conformance_problems(step)]
    assert problems == []


@pytest.mark.parametrize(("rid", "rtype"), sorted(targets()))
def test_every_rollback_is_an_operation_azure_has_with_a_body_its_model_takes(rid: str, rtype: str) -> None:
    try:
        plan, target, case = plan_for(rid, rtype)
    except CannotPlan:
        return
    assert plan is not None
    estate = Estate()
    estate.put_many([*case.others, target])
    sim = Simulator(estate)
    for step in plan.steps:
        answer = sim.handle(step.method, step.path, f"api-version={step.api_version}", {"Authorization": "Bearer t"}, _body(step.body))
        assert answer.status < 300, answer.body
    current = sim.estate.get(plan.resource_id)
    try:
        back = remediations.registry()[rid].undo(plan, current)
    except CannotPlan:
        return  # key regeneration and the like cannot be undone; the desk says so
    if back is None:
        return
    problems = [p for step in back.steps for p in conformance_problems(step)]
    assert problems == []


def test_the_conformance_check_would_catch_what_azure_refuses() -> None:
    account = ACCOUNT["id"]
    search = DRIFTED["microsoft.search/searchservices"]()["id"]
    storage = DRIFTED["microsoft.storage/storageaccounts"]()["id"]
    assert conformance_problems(Step("POST", f"{search}/regenerateKey", "2025-05-01", {"keyName": "Key1"}))
    assert conformance_problems(Step("POST", f"{storage}/regenerateKey", "2025-06-01", {"keyName": "Key1"}))
    assert conformance_problems(Step("PATCH", search, "2025-05-01", {"identity": {"type": None}}))
    assert conformance_problems(Step("PATCH", account, "2025-09-01", {"properties": {"provisioningState": "Succeeded"}}))
    assert conformance_problems(Step("PATCH", account, "2025-06-01", {"properties": {"disableLocalAuth": True}}))
    assert not conformance_problems(Step("PATCH", account, "2025-09-01", {"properties": {"disableLocalAuth": True}}))


def _body(body: Mapping[str, Any] | None) -> bytes:
    return b"" if body is None else json.dumps(body).encode()
