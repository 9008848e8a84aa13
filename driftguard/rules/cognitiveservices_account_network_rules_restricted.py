"""When an AI account is reachable through IP or VNet rules, those rules must stay narrow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.ids import fold
from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, ip_rule_problem, prop, prop_list, same

META = RuleMeta(
    id="cognitiveservices_account_network_rules_restricted",
    title="Azure AI account network rules admit only approved addresses and networks",
    severity=Severity.HIGH,
    resource_types=("Microsoft.CognitiveServices/accounts",),
    seed_section="Deny inbound internet access",
    default_mode=Mode.REVERT,
    remediation="cognitiveservices_account_restore_network_acls",
    references=(
        # The built-in passes any account whose default action is Deny whatever its IP rules say;
        # this rule looks at the rules themselves on purpose.
        Reference("azure-policy", "037eea7a-bd0a-46c5-9a66-03aea78705d3", "Azure AI Services resources should restrict network access"),
        Reference("mcsb", "NS-2", "Secure cloud services with network controls"),
    ),
)


def _vnet_of(subnet_id: str) -> str:
    parts = subnet_id.rstrip("/").split("/")
    # .../virtualNetworks/{vnet}/subnets/{subnet} -> .../virtualNetworks/{vnet}
    return fold("/".join(parts[:-2])) if len(parts) >= 2 and fold(parts[-2]) == "subnets" else fold(subnet_id)


def problems(acls: Mapping[str, Any], context: RuleContext, baseline_bypass: Any) -> list[str]:
    net = context.policy.network
    found: list[str] = []
    for rule in prop_list(acls, "ipRules"):
        value = prop(rule, "value") if isinstance(rule, Mapping) else rule
        problem = ip_rule_problem(str(value), max_prefix=net.max_ip_prefix, approved=net.approved_ip_ranges)
        if problem:
            found.append(f"IP rule {problem}")
    approved_vnets = {fold(v).rstrip("/") for v in net.approved_vnets}
    if approved_vnets:
        for rule in prop_list(acls, "virtualNetworkRules"):
            subnet = str(prop(rule, "id") or "")
            if _vnet_of(subnet) not in approved_vnets:
                found.append(f"virtual network rule {subnet!r} is outside the approved virtual networks")
    bypass = prop(acls, "bypass")
    expected = baseline_bypass if baseline_bypass is not None else net.bypass
    if expected is not None and bypass is not None and not same(bypass, str(expected)):
        found.append(f"bypass is {bypass!r}, expected {expected!r}")
    return found


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    props = snapshot.properties
    if same(prop(props, "publicNetworkAccess"), "Disabled"):
        return []  # the rules are not in force while public access is off
    acls = prop(props, "networkAcls")
    if not isinstance(acls, Mapping):
        return []  # no rules at all: the public-access rule reports that case
    baseline = context.baselines.get(fold(snapshot.id))
    baseline_bypass = prop(baseline, "properties", "networkAcls", "bypass") if baseline else None
    found = problems(acls, context, baseline_bypass)
    if not found:
        return []
    return [
        context.finding(
            META,
            snapshot,
            "; ".join(found),
            {"networkAcls": dict(acls)},
        )
    ]
