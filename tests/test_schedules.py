"""Every timer trigger of functions/schedules.py, called as the Functions host calls it: the real decorated
function of a freshly imported app, given the `azure.functions.TimerRequest` the worker decodes from the
host's payload, with the app's settings pointing at the HTTPS simulator (ARM, Resource Graph, Graph and
the Azure OpenAI data plane on one server with its local CA), the host's managed identity endpoint
answering with the simulator's tokens (the app's own `DefaultAzureCredential` asks it), and a real SQLite
state file. Nothing of the app is replaced: what is asserted is what a user would see, cases in the
store, requests in the simulator's log, budgets charged."""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions import meta
from azure.functions.timer import TimerRequestConverter

from driftguard.store.sqlite import SqliteStore
from simulator import Simulator, sample
from simulator.server import SimulatorServer
from tests.identity_endpoint import IdentityEndpoint
from tests.test_function_app import MODULES

# DriftGuard's identity in the simulated tenant (the object id the simulator's RBAC knows) and the client
# id of its user-assigned managed identity, as infra names it in DRIFTGUARD_MANAGED_IDENTITY_CLIENT_ID.
DRIFTGUARD = "d9d9d9d9-0000-4000-8000-000000000001"
CLIENT_ID = "c1c1c1c1-0000-4000-8000-000000000001"
PROD_ACCOUNT = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod"
DEV_STORAGE = f"/subscriptions/{sample.DEV}/resourceGroups/rg-ai-dev/providers/Microsoft.Storage/storageAccounts/stmldev"
DEV_ACCOUNT = f"/subscriptions/{sample.DEV}/resourceGroups/rg-ai-dev/providers/Microsoft.CognitiveServices/accounts/oai-contoso-dev"
DEFENDER_DEV = f"/subscriptions/{sample.DEV}/providers/Microsoft.Security/pricings/AI"
OPEN_AI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"  # Cognitive Services OpenAI User
RESOURCE_GRAPH = "/providers/microsoft.resourcegraph/resources"
TRUST_STORES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")


def timer_request() -> func.TimerRequest:
    """The TimerRequest the Python worker decodes from the host's timer payload."""
    payload = {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": {
            "Last": "2026-12-01T02:30:00+00:00",
            "Next": "2026-12-02T02:30:00+00:00",
            "LastUpdated": "2026-12-01T02:30:00+00:00",
        },
        "IsPastDue": False,
    }
    request = TimerRequestConverter.decode(meta.Datum(json.dumps(payload), "json"), trigger_metadata={})
    assert isinstance(request, func.TimerRequest)
    return request


@dataclass
class Host:
    """One Function App process against the HTTPS simulator."""

    sim: Simulator
    server: SimulatorServer
    identity: IdentityEndpoint
    state_db: Path
    monkeypatch: pytest.MonkeyPatch
    functions: dict[str, Any] = field(default_factory=dict)

    def start(self, **settings: str) -> Any:
        """Imports the app afresh with these settings (as the host does at start-up) and returns it."""
        for name in MODULES:
            sys.modules.pop(name, None)
        env = {
            "DRIFTGUARD_SUBSCRIPTIONS": ",".join(sample.SUBSCRIPTIONS),
            "DRIFTGUARD_ARM_ENDPOINT": self.server.base_url,
            "DRIFTGUARD_GRAPH_ENDPOINT": self.server.base_url,
            "DRIFTGUARD_MANAGED_IDENTITY_CLIENT_ID": CLIENT_ID,
            "DRIFTGUARD_IDENTITY_IDS": f"{DRIFTGUARD},{CLIENT_ID}",
            "DRIFTGUARD_STATE_DB": str(self.state_db),
            **settings,
        }
        for key, value in env.items():
            self.monkeypatch.setenv(key, value)
        app = importlib.import_module("function_app").app
        # What the host indexes (`get_functions` may be called once per app).
        self.functions = {f.get_function_name(): f for f in app.get_functions()}
        return app

    def timer(self, name: str) -> Any:
        function = self.functions[name]
        assert function.get_bindings()[0].type == "timerTrigger"
        return function.get_user_function()

    def run(self, name: str) -> None:
        self.timer(name)(timer_request())

    def store(self) -> SqliteStore:
        return SqliteStore(self.state_db)

    def writes(self) -> list[Any]:
        return [r for r in self.sim.requests if r.method in ("PUT", "PATCH", "DELETE", "POST") and not _is_read(r.path)]


def _is_read(path: str) -> bool:
    lowered = path.lower()
    return lowered.endswith(("/query", "/chat/completions")) or lowered == RESOURCE_GRAPH or lowered.startswith("/v1.0/")


@pytest.fixture
def host(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    # The host's environment only: none of the tester's Azure logins, trust stores or DRIFTGUARD_* settings.
    for key in list(os.environ):
        if key.startswith(("DRIFTGUARD_", "AZURE_", "MSI_", "IDENTITY_")) or key in TRUST_STORES:
            monkeypatch.delenv(key)
    with SimulatorServer(sim, workdir=tmp_path / "sim") as server, IdentityEndpoint({CLIENT_ID: DRIFTGUARD}) as identity:
        # What the Functions host gives the worker: its managed identity endpoint; and the trust store
        # that holds the simulator's CA (requests and httpx read these).
        monkeypatch.setenv("IDENTITY_ENDPOINT", identity.url)
        monkeypatch.setenv("IDENTITY_HEADER", identity.secret)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_file)
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        yield Host(sim, server, identity, tmp_path / "state.db", monkeypatch)
    for name in MODULES:
        sys.modules.pop(name, None)


def chat_calls(sim: Simulator) -> list[str]:
    return [r.path for r in sim.requests if r.path.endswith("/chat/completions")]


def test_posture_sweep_reads_through_resource_graph_reverts_and_opens_cases(host: Host) -> None:
    host.start()
    host.run("posture_sweep")
    requests = host.sim.requests
    assert RESOURCE_GRAPH in {r.path.lower() for r in requests}
    # The app's own credential: every request signed as DriftGuard's managed identity, asked of the host.
    assert {r.caller for r in requests} == {DRIFTGUARD}
    assert (CLIENT_ID, "https://management.azure.com") in host.identity.issued
    # Resource Graph only: nothing that only ARM knows (model deployments) is read per account.
    assert not [r for r in requests if r.method == "GET" and "/deployments" in r.path.lower()]
    # The auto-mode fixes the sweep's share cap lets through on the sample estate, sent and kept;
    # everything else became a case.
    writes = {(w.method, w.path): json.loads(w.body) for w in host.writes()}
    assert writes[("PATCH", DEV_ACCOUNT)] == {"identity": {"type": "SystemAssigned"}}
    assert writes[("PATCH", DEV_STORAGE)] == {"properties": {"allowBlobPublicAccess": False}}
    assert len(writes) == 2
    assert host.sim.estate.get(DEV_ACCOUNT)["identity"]["type"] == "SystemAssigned"
    store = host.store()
    assert any(e.action == "reverted" for e in store.audit_log(resource_id=DEV_ACCOUNT))
    cases = {(c.rule, c.resource_id): c for c in store.cases()}
    assert cases[("security_pricing_ai_defender_enabled", DEFENDER_DEV)].reason == "ticket mode"
    assert ("cognitiveservices_account_managed_identity_enabled", DEV_ACCOUNT) not in cases
    assert not chat_calls(host.sim)


def test_a_second_sweep_opens_no_second_case(host: Host) -> None:
    host.start()
    host.run("posture_sweep")
    first = sorted(c.dedupe_key for c in host.store().cases())
    host.sim.requests.clear()
    host.run("posture_sweep")
    assert sorted(c.dedupe_key for c in host.store().cases()) == first
    assert host.writes() == []


def test_deep_posture_sweep_also_reads_what_resource_graph_does_not_index(host: Host) -> None:
    host.start()
    host.run("posture_sweep")
    shallow = {(c.rule, c.resource_id) for c in host.store().cases()}
    host.sim.requests.clear()
    host.run("deep_posture_sweep")
    read = [r.path for r in host.sim.requests if r.method == "GET"]
    assert f"{PROD_ACCOUNT}/deployments" in read
    assert any(p.lower().endswith("/providers/microsoft.insights/diagnosticsettings") for p in read)
    deep_only = {(c.rule, c.resource_id) for c in host.store().cases()} - shallow
    # The relaxed content filter on the prod gpt-4o-mini deployment: known only from the deployment.
    assert ("cognitiveservices_deployment_content_filter_enforced", f"{PROD_ACCOUNT}/deployments/gpt-4o-mini") in deep_only
    # Per AI resource, its diagnostic settings: known only from ARM.
    assert (
        "monitor_ai_resource_diagnostic_logs_enabled",
        f"/subscriptions/{sample.DEV}/resourceGroups/rg-ai-dev/providers/Microsoft.MachineLearningServices/workspaces/mlw-dev",
    ) in deep_only
    assert {r.caller for r in host.sim.requests} == {DRIFTGUARD}
    assert host.writes() == []  # none of these is an auto-mode fix in the sample policy: cases only
    assert not chat_calls(host.sim)


def test_the_access_review_timer_asks_graph_and_opens_removal_cases(host: Host) -> None:
    host.start()
    host.run("scheduled_access_review")
    paths = [r.path for r in host.sim.requests]
    assert RESOURCE_GRAPH in {p.lower() for p in paths}
    # Microsoft Graph at DRIFTGUARD_GRAPH_ENDPOINT, with a Graph token from the host's identity endpoint.
    assert "/v1.0/directoryObjects/getByIds" in paths
    assert (CLIENT_ID, "https://graph.microsoft.com") in host.identity.issued
    assert {r.caller for r in host.sim.requests} == {DRIFTGUARD}
    cases = {c.resource_id.rsplit("/", 1)[1]: c for c in host.store().cases()}
    # Only Graph knows that a principal was deleted: its assignment's removal case says so.
    orphan = cases["0f6b0c1e-0002-4a00-8000-000000000002"]
    assert orphan.rule == "authorization_roleassignment_not_orphaned"
    assert "the directory no longer has it" in orphan.reason
    assert cases["0f6b0c1e-0001-4a00-8000-000000000001"].rule == "authorization_roleassignment_privileged_not_standing"
    assert all(c.status.value == "open" for c in cases.values())
    assert host.writes() == []  # a review only reads: removals wait for an approver
    assert not chat_calls(host.sim)


def test_the_sla_timer_expires_cases_left_undecided(host: Host) -> None:
    from dataclasses import replace
    from datetime import timedelta

    host.start()
    host.run("posture_sweep")
    store = host.store()
    [case] = [c for c in store.cases() if c.rule == "security_pricing_ai_defender_enabled"]
    # The same case, as if the sweep had opened it three weeks ago (the default expiry is 14 days).
    store.save_case(replace(case, opened_at=case.opened_at - timedelta(days=21)))
    host.start()  # a later invocation, in a new worker process
    host.run("case_sla")
    expired = host.store().case(case.id)
    assert expired is not None
    assert expired.status.value == "expired"
    assert any(e.action == "case_expired" for e in host.store().audit_log(resource_id=DEFENDER_DEV))
    assert all(c.status.value == "open" for c in host.store().cases() if c.id != case.id)  # younger ones wait


def test_the_outbox_timer_publishes_the_sweeps_cases_to_the_topic(host: Host) -> None:
    host.start(DRIFTGUARD_EVENTS_TOPIC_ENDPOINT=f"{host.server.base_url}/api/events")
    host.run("posture_sweep")
    assert host.sim.topic_events == []  # queued in the state store, not sent by the sweep
    pending = host.store().outbox()
    assert pending
    host.run("deliver_notifications")
    published = [r for r in host.sim.requests if r.path == "/api/events"]
    assert published
    assert all(r.status == 200 and r.caller == DRIFTGUARD for r in published)
    announced = {e["data"]["case_id"] for e in host.sim.topic_events if e["type"] == "DriftGuard.Case.Opened"}
    assert announced == {c.id for c in host.store().cases()}
    assert host.store().outbox() == []  # nothing left waiting


def test_the_probe_timer_sends_nothing_without_opt_in(host: Host) -> None:
    host.start()
    host.run("scheduled_canary_probes")
    assert host.sim.requests == []  # nothing read, nothing sent
    assert host.identity.issued == []
    assert list(host.store().cases()) == []


def test_the_probe_timer_probes_only_the_opted_in_deployment_and_opens_its_case(host: Host, tmp_path: Path) -> None:
    import uuid
    from datetime import UTC, datetime

    from driftguard.probing import PROBES_COUNTER
    from simulator.roles import role_assignment

    mini = f"{PROD_ACCOUNT}/deployments/gpt-4o-mini"
    # The estate as infra leaves it: the opted-in account answers on its own endpoint (this server)
    # and DriftGuard holds Cognitive Services OpenAI User on it (infra/modules/probe-access.bicep).
    account = host.sim.estate.get(PROD_ACCOUNT)
    assert account is not None
    account["properties"]["endpoint"] = host.server.base_url + "/"
    host.sim.estate.put(account)
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{PROD_ACCOUNT}|{DRIFTGUARD}|{OPEN_AI_USER}"))
    host.sim.estate.put(role_assignment(PROD_ACCOUNT, name, OPEN_AI_USER, DRIFTGUARD, principal_type="ServicePrincipal"))
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps({"probes": {"deployments": [mini]}}))
    host.start(DRIFTGUARD_POLICY_FILE=str(policy_file), DRIFTGUARD_EVENTS_TOPIC_ENDPOINT=f"{host.server.base_url}/api/events")
    host.run("scheduled_canary_probes")
    sent = chat_calls(host.sim)
    assert sent
    assert set(sent) == {"/openai/deployments/gpt-4o-mini/chat/completions"}
    # Signed with a data-plane token for DriftGuard, from the host's identity endpoint.
    assert (CLIENT_ID, "https://cognitiveservices.azure.com") in host.identity.issued
    store = host.store()
    today = datetime.now(UTC).date()
    assert store.budget_used(today, PROBES_COUNTER) == len(sent)
    assert store.budget_used(today, f"deployment|{mini.lower()}") == len(sent)
    [case] = list(store.cases())
    assert case.resource_id.lower() == mini.lower()
    # The case went through the app's case listeners: announced in the outbox for the next delivery.
    assert case.id in {item.payload["cloudevent"]["data"].get("case_id") for item in store.outbox()}
    assert host.writes() == []
