"""Blocking a caller's address on an AI account, whose network rules are an allow-list."""

from __future__ import annotations

import re

import pytest

from driftguard.policy import Policy
from remediations.base import CannotPlan, PlanContext, rollback
from remediations.cognitiveservices_account_block_ip import REMEDIATION
from simulator import builders as b

SUB = "11111111-1111-4111-8111-111111111111"
BAD = "198.51.100.23"


def plan(**kw: object):  # type: ignore[no-untyped-def]
    account = b.cognitive_account(SUB, "rg", "oai", **kw)  # type: ignore[arg-type]
    return account, REMEDIATION.plan(account, PlanContext(policy=Policy(), extra={"ip_address": BAD, "gateways": []}))


def test_an_allowed_address_leaves_the_allow_list_and_the_rest_stays() -> None:
    account, made = plan(public=True, default_action="Deny", ip_rules=[BAD, "203.0.113.0/24"])
    assert made is not None
    acls = made.after["properties.networkAcls"]
    assert acls["defaultAction"] == "Deny"
    assert acls["ipRules"] == [{"value": "203.0.113.0/24"}]
    assert made.before["properties.networkAcls"] == account["properties"]["networkAcls"]
    assert [s.method for s in made.steps] == ["PATCH"]
    assert "remove 198.51.100.23" in made.summary


def test_an_account_open_to_all_is_closed_to_all_but_its_rules_and_says_so() -> None:
    _, made = plan(public=True, default_action="Allow", ip_rules=["203.0.113.0/24"])
    assert made is not None
    assert made.after["properties.networkAcls"]["defaultAction"] == "Deny"
    assert made.after["properties.networkAcls"]["ipRules"] == [{"value": "203.0.113.0/24"}]
    assert "denies every public address" in made.summary


def test_a_range_holding_the_address_is_for_a_person_to_narrow() -> None:
    with pytest.raises(CannotPlan, match=re.escape("198.51.100.0/24")):
        plan(public=True, default_action="Deny", ip_rules=["198.51.100.0/24"])


def test_nothing_to_do_when_the_address_cannot_get_in() -> None:
    assert plan(public=True, default_action="Deny", ip_rules=["203.0.113.0/24"])[1] is None
    assert plan(public=False)[1] is None


def test_no_address_no_plan() -> None:
    account = b.cognitive_account(SUB, "rg", "oai", public=True)
    with pytest.raises(CannotPlan, match="no caller address"):
        REMEDIATION.plan(account, PlanContext(policy=Policy(), extra={"ip_address": None, "gateways": []}))


def test_the_rollback_puts_the_whole_object_back() -> None:
    account, made = plan(public=True, default_action="Allow", ip_rules=[])
    assert made is not None
    changed = {**account, "properties": {**account["properties"], "networkAcls": made.after["properties.networkAcls"]}}
    back = rollback(made, changed)
    assert back is not None
    assert back.after["properties.networkAcls"] == account["properties"]["networkAcls"]


GATEWAY = f"/subscriptions/{SUB}/resourcegroups/rg-gw/providers/microsoft.apimanagement/service/apim"


@pytest.mark.parametrize(
    ("fronts", "where"), [(True, "the AI gateway that fronts this account"), (False, "an AI gateway the policy declares")]
)
def test_an_ai_gateways_own_address_is_never_blocked(fronts: bool, where: str) -> None:
    account = b.cognitive_account(SUB, "rg", "oai", public=True, default_action="Deny", ip_rules=[BAD, "203.0.113.0/24"])
    gateways = [{"gateway": GATEWAY, "fronts": fronts, "addresses": ["20.85.16.101", BAD]}]
    with pytest.raises(CannotPlan, match=re.escape(f"{BAD} is the address of {where} (apim)")):
        REMEDIATION.plan(account, PlanContext(policy=Policy(), extra={"ip_address": BAD, "gateways": gateways}))


def test_a_gateway_whose_addresses_are_unknown_leaves_it_to_a_person() -> None:
    account = b.cognitive_account(SUB, "rg", "oai", public=True, default_action="Deny", ip_rules=[BAD])
    unread = [{"gateway": GATEWAY, "fronts": True, "addresses": None}]
    with pytest.raises(CannotPlan, match="could not be read"):
        REMEDIATION.plan(account, PlanContext(policy=Policy(), extra={"ip_address": BAD, "gateways": unread}))
    with pytest.raises(CannotPlan, match="were not read"):
        REMEDIATION.plan(account, PlanContext(policy=Policy(), extra={"ip_address": BAD}))
