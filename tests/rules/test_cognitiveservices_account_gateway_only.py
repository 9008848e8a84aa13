import pytest

from driftguard.policy import FrontedAccounts, GatewayPolicy, Policy
from driftguard.rules import cognitiveservices_account_gateway_only as rule
from driftguard.rules.gateway import GATEWAY
from simulator import builders as b
from tests.rules.helpers import run, with_value, without

SUB = "33333333-3333-4333-8333-333333333333"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/rg-gw/providers/Microsoft.Network/virtualNetworks/vnet-ai/subnets/snet-apim"
APIM = b.apim_service(SUB, "rg-gw", "apim-ai", public_ips=["20.85.16.101"], subnet=SUBNET)
FRONTED = Policy(gateways=GatewayPolicy(fronted=(FrontedAccounts(gateway=APIM["id"], accounts=("*/accounts/oai-*",)),)))


def account(**kw: object) -> dict[str, object]:
    return b.cognitive_account(SUB, "rg-ai", "oai-prod", **kw)  # type: ignore[arg-type]


def test_accounts_not_behind_a_gateway_are_not_judged() -> None:
    assert run(rule, account(public=True, default_action="Allow")) == []
    other = b.cognitive_account(SUB, "rg-ai", "lab", public=True, default_action="Allow")
    assert run(rule, other, policy=FRONTED) == []


def test_private_endpoint_only_passes() -> None:
    assert run(rule, account(private_endpoints=["/x/pe"]), policy=FRONTED) == []


def test_a_fronted_account_open_to_the_internet_is_a_bypass() -> None:
    [f] = run(rule, account(public=True, default_action="Allow"), policy=FRONTED, related={GATEWAY: [APIM]})
    assert f.evidence["gateway"] == APIM["id"]
    assert f.evidence["networkAcls.defaultAction"] == "Allow"
    assert f.mode == "ticket"
    assert f.remediation is None
    assert "private endpoint" in f.message
    # Absent publicNetworkAccess and defaultAction are the service defaults: Enabled, Allow.
    bare = without(without(account(), "properties", "publicNetworkAccess"), "properties", "networkAcls")
    assert len(run(rule, bare, policy=FRONTED)) == 1


def test_deny_with_only_the_gateways_address_or_subnet_passes() -> None:
    ok = account(public=True, ip_rules=["20.85.16.101"])
    assert run(rule, ok, policy=FRONTED, related={GATEWAY: [APIM]}) == []
    assert (
        run(
            rule,
            with_value(ok, [{"value": "20.85.16.101/32"}], "properties", "networkAcls", "ipRules"),
            policy=FRONTED,
            related={GATEWAY: [APIM]},
        )
        == []
    )
    by_subnet = with_value(account(public=True), [{"id": SUBNET.upper()}], "properties", "networkAcls", "virtualNetworkRules")
    assert run(rule, by_subnet, policy=FRONTED, related={GATEWAY: [APIM]}) == []
    assert run(rule, account(public=True), policy=FRONTED) == []  # deny, no rules: nothing gets in


def test_other_addresses_or_subnets_are_a_bypass() -> None:
    open_more = account(public=True, ip_rules=["20.85.16.101", "203.0.113.0/24"])
    [f] = run(rule, open_more, policy=FRONTED, related={GATEWAY: [APIM]})
    assert f.evidence["ipRules"] == ["203.0.113.0/24"]
    other_subnet = with_value(account(public=True), [{"id": SUBNET + "-other"}], "properties", "networkAcls", "virtualNetworkRules")
    [f] = run(rule, other_subnet, policy=FRONTED, related={GATEWAY: [APIM]})
    assert f.evidence["virtualNetworkRules"] == [SUBNET + "-other"]


def test_rules_without_the_gateway_read_cannot_be_judged() -> None:
    with pytest.raises(rule.NotEvaluable):
        run(rule, account(public=True, ip_rules=["20.85.16.101"]), policy=FRONTED)


def test_not_applicable() -> None:
    assert rule.META.applies_to("microsoft.cognitiveservices/accounts")
    assert not rule.META.applies_to("Microsoft.ApiManagement/service")
