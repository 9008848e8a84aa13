from driftguard.model import Mode
from driftguard.rules import security_pricing_ai_defender_enabled as rule
from simulator import builders as b
from tests.rules.helpers import run, with_value, without


def test_standard_passes() -> None:
    assert run(rule, b.pricing("s", standard=True)) == []


def test_free_fails_as_ticket() -> None:
    [f] = run(rule, b.pricing("s", standard=False))
    assert f.mode is Mode.TICKET
    assert f.evidence == {"pricingTier": "Free"}


def test_absent_tier_fails() -> None:
    assert len(run(rule, without(b.pricing("s", standard=True), "properties", "pricingTier"))) == 1


def test_casing() -> None:
    assert run(rule, with_value(b.pricing("s", standard=True), "standard", "properties", "pricingTier")) == []


def test_other_plans_not_applicable() -> None:
    p = b.pricing("s", standard=False)
    p["name"] = "VirtualMachines"
    assert run(rule, p) == []
