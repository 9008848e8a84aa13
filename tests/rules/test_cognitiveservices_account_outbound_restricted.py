from driftguard.policy import NetworkPolicy, Policy
from driftguard.rules import cognitiveservices_account_outbound_restricted as rule
from simulator import builders as b
from tests.rules.helpers import run, with_value, without

POLICY = Policy(network=NetworkPolicy(approved_fqdns=("docs.contoso.com",)))


def test_restricted_to_approved_passes() -> None:
    assert run(rule, b.cognitive_account("s", "rg", "oai", fqdns=["DOCS.contoso.com"]), policy=POLICY) == []


def test_not_restricted_fails() -> None:
    [f] = run(rule, b.cognitive_account("s", "rg", "oai", outbound_restricted=False), policy=POLICY)
    assert f.evidence["restrictOutboundNetworkAccess"] is False


def test_unapproved_fqdn_fails() -> None:
    [f] = run(rule, b.cognitive_account("s", "rg", "oai", fqdns=["docs.contoso.com", "pastebin.com"]), policy=POLICY)
    assert f.evidence["unapproved"] == ["pastebin.com"]


def test_absent_means_unrestricted_and_string_booleans() -> None:
    assert len(run(rule, without(b.cognitive_account("s", "rg", "oai"), "properties", "restrictOutboundNetworkAccess"), policy=POLICY)) == 1
    assert (
        run(
            rule,
            with_value(b.cognitive_account("s", "rg", "oai", fqdns=[]), "True", "properties", "restrictOutboundNetworkAccess"),
            policy=POLICY,
        )
        == []
    )


def test_not_applicable() -> None:
    assert not rule.META.applies_to("Microsoft.MachineLearningServices/workspaces")
