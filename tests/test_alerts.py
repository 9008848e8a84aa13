"""Defender for AI alerts as DriftGuard reads them (the Security Alert schema) and the playbook per kind."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import remediations
from driftguard import alerts
from driftguard.model import Severity
from simulator import builders as b

ACCOUNT = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"
WHEN = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)


def alert(alert_type: str = "AI.Azure_AccessFromSuspiciousIP", **kw: Any) -> dict[str, Any]:
    return b.defender_alert(
        ACCOUNT, "2517-a1", alert_type=alert_type, display_name="Access from suspicious IP", severity="High", generated=WHEN, **kw
    )


def test_an_alert_carries_kind_severity_entities_time_and_resource() -> None:
    row = alert(entities=[{"$id": "1", "type": "ip", "address": "198.51.100.23"}, {"$id": "2", "type": "host", "hostName": "x"}])
    parsed = alerts.from_row(row)
    assert parsed.alert_type == "AI.Azure_AccessFromSuspiciousIP"
    assert parsed.severity is Severity.HIGH
    assert parsed.resource_id == ACCOUNT
    assert parsed.generated_at == WHEN
    assert parsed.ip_addresses == ("198.51.100.23",)
    summary = parsed.summary()
    assert summary["generated_at"] == "2026-12-01T10:30:00Z"
    assert [e["type"] for e in summary["entities"]] == ["ip", "host"]
    assert parsed.playbook is alerts.BLOCK_IP
    assert {r.kind for r in parsed.references} == {"mitre-atlas"}


def test_seven_fractional_digits_as_defender_writes_them() -> None:
    assert alerts.parse_time("2026-12-01T10:30:00.1234567Z") == datetime(2026, 12, 1, 10, 30, 0, 123456, tzinfo=UTC)
    assert alerts.parse_time("nonsense") is None


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"alertType": "VM_SuspiciousProcess"}, "not a Defender for AI alert"),
        ({"resourceIdentifiers": []}, "names no Azure resource"),
        ({"timeGeneratedUtc": None, "startTimeUtc": None}, "no time"),
    ],
)
def test_rows_that_are_not_usable_alerts_are_refused(change: dict[str, Any], why: str) -> None:
    row = alert()
    row["properties"].update(change)
    with pytest.raises(alerts.NotAnAlert, match=why):
        alerts.from_row(row)


def test_a_bad_address_is_not_taken_for_one() -> None:
    parsed = alerts.from_row(alert(entities=[{"type": "ip", "address": "not-an-ip"}, {"type": "ip", "address": " 2001:db8::1 "}]))
    assert parsed.ip_addresses == ("2001:db8::1",)


def test_the_deployment_comes_from_the_extended_properties() -> None:
    parsed = alerts.from_row(alert("AI.Azure_Jailbreak.ContentFiltering.DetectedAttempt", extended={"Deployment Name": "gpt-4o-mini"}))
    assert parsed.deployment == "gpt-4o-mini"
    assert parsed.playbook is alerts.BLOCK_JAILBREAK


def test_every_playbook_names_a_registered_remediation_and_a_documented_alert_type() -> None:
    # The alert types of Defender for Cloud's "Alerts for AI services" reference.
    documented = {
        "ai.azure_credentialtheftattempt",
        "ai.azure_jailbreak.contentfiltering.blockedattempt",
        "ai.azure_jailbreak.contentfiltering.detectedattempt",
        "ai.azure_dataleakinmodelresponse.sensitive",
        "ai.azure_maliciousurl.modelresponse",
        "ai.azure_maliciousurl.unknownsource",
        "ai.azure_maliciousurl.userprompt",
        "ai.azure_accessfromsuspicioususeragent",
        "ai.azure_asciismuggling",
        "ai.azure_accessfromanonymizedip",
        "ai.azure_accessfromsuspiciousip",
        "ai.azure_dowduplicaterequests",
        "ai.azure_dowvolumeanomaly",
        "ai.azure_accessanomaly",
        "ai.azure_anomalousoperation.initialaccess",
    }
    registry = remediations.registry()
    assert set(alerts.PLAYBOOKS) <= documented
    assert set(alerts.REFERENCES) <= documented
    for playbook in alerts.PLAYBOOKS.values():
        assert playbook.remediation in registry
        types = {t.lower() for t in registry[playbook.remediation].resource_types}
        wanted = (
            "microsoft.cognitiveservices/accounts" if playbook.target == "account" else "microsoft.cognitiveservices/accounts/raipolicies"
        )
        assert wanted in types
    # A jailbreak that was blocked already needs no fix: a person looks at it.
    assert "ai.azure_jailbreak.contentfiltering.blockedattempt" not in alerts.PLAYBOOKS


def test_the_simulator_s_alert_is_the_sdk_s_alert() -> None:
    """Held to azure-mgmt-security 7.0.0's `Alert` model (generated from Microsoft's spec): every
    property it sends is one the model has, enums within theirs, and the model reads it back whole."""
    from azure.mgmt.security import models

    row = alert(entities=[{"$id": "1", "type": "ip", "address": "198.51.100.23"}], extended={"Deployment Name": "gpt"})
    known = {spec["key"].split(".", 1)[1] for spec in models.Alert._attribute_map.values() if spec["key"].startswith("properties.")}
    assert set(row["properties"]) <= known
    assert row["properties"]["severity"] in {s.value for s in models.AlertSeverity}
    assert row["properties"]["status"] in {s.value for s in models.AlertStatus}
    assert {i["type"] for i in row["properties"]["resourceIdentifiers"]} <= {t.value for t in models.ResourceIdentifierType}
    parsed = models.Alert.deserialize(row)
    assert parsed.alert_type == "AI.Azure_AccessFromSuspiciousIP"
    assert parsed.resource_identifiers[0].azure_resource_id == ACCOUNT
    assert parsed.entities[0].type == "ip"
    assert parsed.entities[0].additional_properties["address"] == "198.51.100.23"
    assert parsed.time_generated_utc == WHEN
