"""`driftguard events` with events shaped as Microsoft documents them does only what Azure allows:

- a Resource Notifications event for an account that already has a managed identity changes nothing;
- a private endpoint connection write is judged on its account;
- a key listing on Search, on an ML workspace and on Storage is answered with that service's own
  operation, or a case where the service has none.
The events are built in the documented shapes (the corpus samples are the templates where present); the
requests are checked against what the simulator, held to the specs, recorded."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from driftguard import compose
from driftguard.cli import main
from driftguard.events import parse_event
from driftguard.policy import load_policy
from simulator import sample

ROOT = Path(__file__).resolve().parents[2]
RG = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers"
OAI = f"{RG}/Microsoft.CognitiveServices/accounts/oai-contoso-prod"
OAI_EU = f"{RG}/Microsoft.CognitiveServices/accounts/oai-contoso-prod-eu"
SEARCH = f"{RG}/Microsoft.Search/searchServices/srch-contoso-rag"  # key authentication on
WORKSPACE = f"{RG}/Microsoft.MachineLearningServices/workspaces/mlw-hub-prod"
STORAGE = f"{RG}/Microsoft.Storage/storageAccounts/stoaidataprod"
DEV = "d1d1d1d1-0000-4000-8000-000000000001"


def resource_event(event_id: str, rid: str, operation: str, kind: str = "Action") -> dict[str, Any]:
    """`Microsoft.Resources.Resource{kind}Success` as the Event Grid schema documents it."""
    return {
        "id": event_id,
        "topic": f"/subscriptions/{sample.PROD}",
        "subject": rid,
        "eventType": f"Microsoft.Resources.Resource{kind}Success",
        "eventTime": "2026-12-01T10:00:00Z",
        "data": {
            "authorization": {"scope": rid, "action": operation, "evidence": {"role": "Contributor"}},
            "claims": {"http://schemas.microsoft.com/identity/claims/objectidentifier": DEV, "appid": DEV},
            "correlationId": f"corr-{event_id}",
            "resourceProvider": operation.split("/", 1)[0],
            "resourceUri": rid,
            "operationName": operation,
            "status": "Succeeded",
            "subscriptionId": sample.PROD,
            "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        },
        "dataVersion": "2",
        "metadataVersion": "1",
    }


def notification(event_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    """`Microsoft.ResourceNotifications.Resources.CreatedOrUpdated` as documented: resourceInfo holds
    id, name, type, location, tags and properties only; booleans as 1/0; an older apiVersion."""

    def ones(value: Any) -> Any:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, dict):
            return {k: ones(v) for k, v in value.items()}
        if isinstance(value, list):
            return [ones(v) for v in value]
        return value

    info = {k: resource[k] for k in ("id", "name", "type", "location", "tags")}
    info["properties"] = ones(resource["properties"])
    return {
        "id": event_id,
        "topic": f"/subscriptions/{sample.PROD}",
        "subject": resource["id"],
        "data": {"resourceInfo": info, "operationalInfo": {"resourceEventTime": "2026-12-01T10:00:00Z"}, "apiVersion": "2023-05-01"},
        "eventType": "Microsoft.ResourceNotifications.Resources.CreatedOrUpdated",
        "dataVersion": "1",
        "metadataVersion": "1",
        "eventTime": "2026-12-01T10:00:00Z",
    }


@pytest.fixture
def world(tmp_path: Path) -> compose.SimulatedWorld:
    return compose.SimulatedWorld(tmp_path, load_policy(ROOT / "examples" / "policy.json"))


def writes(world: compose.SimulatedWorld) -> list[str]:
    return [f"{r.method} {r.path}" for r in world.sim.requests if r.method in ("PUT", "PATCH", "POST", "DELETE")]


def test_a_resource_notification_for_an_account_with_an_identity_changes_nothing(world: compose.SimulatedWorld) -> None:
    account = world.sim.estate.get(OAI)
    assert account is not None
    assert account["identity"]["type"] == "SystemAssigned"
    results = world.responder.handle(parse_event(notification("rn-1", account)))
    assert writes(world) == []
    assert not [r for r in results if r.rule == "cognitiveservices_account_managed_identity_enabled" and r.outcome.value != "compliant"]


def test_a_private_endpoint_connection_write_is_judged_on_its_account(world: compose.SimulatedWorld) -> None:
    connection = f"{OAI_EU}/privateEndpointConnections/pe-0"
    raw = resource_event("pec-1", connection, "Microsoft.CognitiveServices/accounts/privateEndpointConnections/write", kind="Write")
    results = world.responder.handle(parse_event(raw))
    assert {r.resource_id for r in results} == {OAI_EU}
    judged = {r.rule for r in results}
    assert "cognitiveservices_account_private_endpoint_approved_only" in judged
    assert not any(r.outcome.value == "ignored" for r in results)


@pytest.mark.parametrize(
    ("rid", "operation", "own_operation"),
    [
        (SEARCH, "Microsoft.Search/searchServices/listAdminKeys/action", "/regenerateAdminKey/primary"),
        (STORAGE, "Microsoft.Storage/storageAccounts/listKeys/action", "/regenerateKey"),
        (WORKSPACE, "Microsoft.MachineLearningServices/workspaces/listKeys/action", None),
    ],
)
def test_a_key_listing_is_answered_with_the_services_own_operation_or_a_case(
    world: compose.SimulatedWorld, rid: str, operation: str, own_operation: str | None
) -> None:
    results = world.responder.handle(parse_event(resource_event("keys-1", rid, operation)))
    refused = [r for r in world.sim.requests if r.status >= 400]
    assert refused == [], "a request Azure would refuse was sent"
    key_results = [r for r in results if r.rule == "cognitiveservices_account_keys_not_exposed"]
    assert key_results, [r.to_json() for r in results]
    if own_operation is None:
        # ML workspaces cannot regenerate keys: a case that says what a person must do, and no write.
        assert writes(world) == []
        assert [r.outcome.value for r in key_results] == ["case_opened"]
        [case] = [c for c in world.store.cases() if c.resource_id.lower() == rid.lower()]
        assert "resync" in case.reason.lower() or "resync" in json.dumps(case.plan or {}).lower() or "resync" in str(case.evidence).lower()
    else:
        sent = writes(world)
        # Approve mode (a key listing by someone not on the allowlist) opens a case with the exact plan;
        # either way, every planned or sent request is the service's own operation.
        planned = [s["path"] for c in world.store.cases() if c.plan and c.resource_id.lower() == rid.lower() for s in c.plan["steps"]]
        assert any(p.endswith(own_operation) for p in [*planned, *(s.split(" ", 1)[1] for s in sent)])
        assert not any(p.endswith("/regenerateKey") and "Search" in p for p in planned)


def test_the_command_line_replays_the_documented_events(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    account = compose.SimulatedWorld(tmp_path / "w", load_policy(ROOT / "examples" / "policy.json")).sim.estate.get(OAI)
    assert account is not None
    path = tmp_path / "events.json"
    path.write_text(
        json.dumps(
            [
                notification("rn-1", account),
                resource_event(
                    "pec-1",
                    f"{OAI_EU}/privateEndpointConnections/pe-0",
                    "Microsoft.CognitiveServices/accounts/privateEndpointConnections/write",
                    "Write",
                ),
                resource_event("keys-1", SEARCH, "Microsoft.Search/searchServices/listAdminKeys/action"),
            ]
        )
    )
    out, err = io.StringIO(), io.StringIO()
    code = main(["events", str(path), "--format", "json", "--policy", str(ROOT / "examples" / "policy.json")], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    rows = json.loads(out.getvalue())
    assert not [r for r in rows if r["outcome"] in ("rejected", "ignored")], rows
    assert any(r["resource_id"] == OAI_EU for r in rows if r["event_id"] == "pec-1")


def _replay(tmp_path: Path, events: list[dict[str, Any]], *, table: bool = False) -> str:
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events))
    out, err = io.StringIO(), io.StringIO()
    formats = [] if table else ["--format", "json"]
    code = main(["events", str(path), *formats, "--policy", str(ROOT / "examples" / "policy.json")], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


def test_a_key_listing_replayed_years_later_says_it_is_too_old_to_count(tmp_path: Path) -> None:
    """Microsoft's sample carries an eventTime of 2018: its listing would not be weighed, and the output
    says so (its age and the threshold) instead of "every rule passes"."""
    old = resource_event("keys-2018", OAI_EU, "Microsoft.CognitiveServices/accounts/listKeys/action")
    old["eventTime"] = "2018-10-08T22:46:22.6022559Z"
    rows = json.loads(_replay(tmp_path, [old]))
    assert [(r["outcome"], r["rule"]) for r in rows] == [("ignored", "cognitiveservices_account_keys_not_exposed")]
    assert "eventTime 2018-10-08" in rows[0]["reason"]
    assert "older than 90 days" in rows[0]["reason"]
    shown = " ".join(_replay(tmp_path, [old], table=True).split())
    assert "days old" in shown
    assert "every rule passes" not in shown


def test_a_compliant_private_endpoint_connection_write_is_reported_on_the_account_judged(tmp_path: Path) -> None:
    """The connection's event is judged on its account: the row that says every rule passes names the
    account, not the connection."""
    connection = f"{OAI}/privateEndpointConnections/pe-0"
    event = resource_event("pec-ok", connection, "Microsoft.CognitiveServices/accounts/privateEndpointConnections/write", "Write")
    rows = json.loads(_replay(tmp_path, [event]))
    assert [(r["outcome"], r["resource_id"]) for r in rows] == [("compliant", OAI)]
