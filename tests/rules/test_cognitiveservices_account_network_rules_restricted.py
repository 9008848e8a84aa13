from driftguard.policy import NetworkPolicy, Policy
from driftguard.rules import cognitiveservices_account_network_rules_restricted as rule
from simulator import builders as b
from tests.rules.helpers import run, with_value, without


def account(*ips: str, bypass: str = "AzureServices") -> dict:
    a = b.cognitive_account("sub", "rg", "oai", public=True, default_action="Deny", ip_rules=list(ips))
    return with_value(a, bypass, "properties", "networkAcls", "bypass")


def test_narrow_rules_pass() -> None:
    assert run(rule, account("203.0.113.0/24", "198.51.100.7")) == []


def test_any_address_fails() -> None:
    [f] = run(rule, account("0.0.0.0/0"))
    assert "whole internet" in f.message


def test_prefix_wider_than_limit_fails_and_limit_is_configurable() -> None:
    assert len(run(rule, account("10.0.0.0/15"))) == 1
    assert run(rule, account("10.0.0.0/15"), policy=Policy(network=NetworkPolicy(max_ip_prefix=12))) == []


def test_outside_approved_ranges_fails() -> None:
    policy = Policy(network=NetworkPolicy(approved_ip_ranges=("203.0.113.0/24",)))
    assert run(rule, account("203.0.113.8"), policy=policy) == []
    assert len(run(rule, account("198.51.100.7"), policy=policy)) == 1


def test_bypass_changed_fails_and_casing_ignored() -> None:
    assert run(rule, account("203.0.113.0/24", bypass="azureservices")) == []
    [f] = run(rule, account("203.0.113.0/24", bypass="None"))
    assert "bypass" in f.message


def test_vnet_outside_approved_fails() -> None:
    approved = "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub"
    a = with_value(
        account(),
        [
            {"id": approved + "/subnets/ai"},
            {"id": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/virtualNetworks/rogue/subnets/s"},
        ],
        "properties",
        "networkAcls",
        "virtualNetworkRules",
    )
    [f] = run(rule, a, policy=Policy(network=NetworkPolicy(approved_vnets=(approved,))))
    assert "rogue" in f.message


def test_not_applicable_when_public_access_disabled_or_no_acls() -> None:
    assert run(rule, b.cognitive_account("sub", "rg", "oai", ip_rules=["0.0.0.0/0"])) == []
    assert run(rule, without(account("0.0.0.0/0"), "properties", "networkAcls")) == []
