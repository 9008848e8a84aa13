"""`driftguard demo`: the story in a terminal, nothing to configure.

The sweep finds the drifted resources; then a developer re-enables public network access on an OpenAI
account, lists its keys and turns off the jailbreak filter; DriftGuard answers each event (revert;
record the listing, since with local auth off the keys open nothing and Azure refuses to regenerate
them; restore); a pipeline keeps flipping a setting until flap protection stops and names it;
the developer lets a code-execution sandbox pool reach the internet, which is reverted; the sweep's
verdicts on the AI gateway (an account behind it that still lets another address in: a gateway bypass,
a case with the exact settings to make); the developer
gives itself Owner, which becomes a case with the exact removal to approve; two security
approvers approve it through the approval API (the developer's own approval is refused); canary
probes send known attacks to the opted-in deployments, and the one whose jailbreak filter is off fails.
Defender for AI alerts (a jailbreak that got past that relaxed filter, a call from a known-bad address)
become incident cases, and an approver applies the jailbreak playbook.
It ends with a summary table and writes the HTML report.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table

from driftguard import compose
from driftguard.assets import AssetTap
from driftguard.azure import api_versions
from driftguard.azure.directory import Principal, named
from driftguard.events import parse_event
from driftguard.pipeline import Evaluator
from driftguard.policy import Policy
from driftguard.report import html
from driftguard.respond import Outcome, Result
from driftguard.store.base import CaseStatus
from driftguard.terminal import layout

DEVELOPER = "de7de7de-0000-4000-8000-000000000002"
PIPELINE = "919e1111-0000-4000-8000-000000000003"
# The approvers of the story's Owner removal (the approval API's principal header names them).
APPROVERS = (("a11ce000-0000-4000-8000-00000000000a", "Alice (security)"), ("b0b00000-0000-4000-8000-00000000000b", "Bob (security)"))
STYLE = {
    Outcome.REVERTED: "bold green",
    Outcome.CASE_OPENED: "bold yellow",
    Outcome.RECORDED: "cyan",
    Outcome.RESOLVED: "green",
    Outcome.OWN_WRITE: "dim",
}


def run(policy: Policy, *, out: IO[str], report: Path) -> int:
    # As wide as the terminal, 80 columns when it is not one: each verdict is its rule id on one line
    # and the reason wrapped beneath it (see driftguard.terminal.layout).
    console = layout.console(out)
    totals: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="driftguard-demo-") as tmp:
        world = compose.SimulatedWorld(Path(tmp), policy)
        # People by name: the engine's reasons carry object ids, the directory answers who they are.
        people = seed_people(world)
        prod = world.sample.PROD
        oai = f"/subscriptions/{prod}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod"

        console.rule("[bold]1. The sweep[/]: Resource Graph inventory through the same decide/act path")
        inventory = world.inventory()
        started = time.perf_counter()
        results = world.responder.sweep(inventory.resources())
        inventory.close()
        swept = Counter(r.outcome.value for r in results)
        totals.update(swept)
        console.print(
            f"{len(results)} rule verdicts in {time.perf_counter() - started:.2f} s: "
            f"{swept['compliant']} compliant (baselines recorded), {swept['reverted']} fixed automatically, "
            f"{swept['case_opened']} cases opened (first sight or approval), {swept['recorded']} recorded"
        )
        # Resource Graph does not index deployments nor RAI policies: the sweep read them per account
        # over ARM (deep), so the model and content-filter rules judged every deployment.
        for rule, label in (
            ("cognitiveservices_deployment_content_filter_enforced", "content filter"),
            ("cognitiveservices_deployment_model_approved", "approved model"),
        ):
            verdicts = Counter(r.outcome.value for r in results if r.rule == rule)
            shown = ", ".join(f"{n} {outcome}" for outcome, n in sorted(verdicts.items())) or "no deployment judged"
            console.print(Padding(f"deployments read per account over ARM, {label}: {shown}", (0, 0, 0, 2)))
        world.take_events()  # DriftGuard's own sweep fixes come back as events: shown below, not here
        _ack(world, totals)

        def step(title: str, action: Callable[[], object]) -> None:
            console.rule(f"[bold]{title}[/]")
            action()
            for result, ms in _deliver(world, totals):
                if result.outcome in (Outcome.COMPLIANT, Outcome.UNCHANGED, Outcome.OWN_WRITE, Outcome.NOT_EVALUATED):
                    continue
                _verdict(console, result, f"{ms:.1f} ms", people)

        step(
            "2. A developer re-enables public network access on oai-contoso-prod",
            lambda: world.act_as(
                DEVELOPER, "PATCH", oai, {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}}
            ),
        )
        # Azure refuses to list keys while local auth is off (as it is on oai-contoso-prod): the developer
        # lists them on the EU account, whose key authentication was turned back on "to debug".
        step(
            "3. The developer lists the keys of oai-contoso-prod-eu (key auth still on)",
            lambda: world.act_as(DEVELOPER, "POST", f"{oai}-eu/listKeys", None),
        )
        strict = f"{oai}/raiPolicies/strict-prod"

        def weaken_filter() -> None:
            current = world.sim.estate.get(strict) or {}
            filters = [
                dict(f, enabled=False, blocking=False) if f.get("name") == "Jailbreak" else f
                for f in current.get("properties", {}).get("contentFilters", [])
            ]
            world.act_as(DEVELOPER, "PUT", strict, {"properties": {**current.get("properties", {}), "contentFilters": filters}})

        step("4. The developer turns off the jailbreak filter (Prompt Shields)", weaken_filter)

        def flip() -> None:
            for _ in range(5):
                world.act_as(
                    PIPELINE, "PATCH", oai, {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}}
                )
                for result, _ms in _deliver(world, totals):
                    if result.outcome in (Outcome.REVERTED, Outcome.CASE_OPENED) and result.rule and "public_network" in result.rule:
                        _verdict(console, result, "", people)

        step("5. A deployment pipeline keeps setting public access back", flip)

        pool = f"/subscriptions/{prod}/resourceGroups/rg-ai-prod/providers/Microsoft.App/sessionPools/pool-agents-prod"
        step(
            "6. The developer turns egress back on for the sandbox pool pool-agents-prod",
            lambda: world.act_as(
                DEVELOPER,
                "PATCH",
                pool,
                {"properties": {"sessionNetworkConfiguration": {"status": "EgressEnabled"}}},
                api_version=api_versions.APP,
            ),
        )

        # Judged in the sweep (step 1): the gateway, its backends and named values, and the accounts
        # the policy puts behind it, each judged with the gateway.
        gateway_rules = (
            "cognitiveservices_account_gateway_only",
            "apimanagement_backend_managed_identity",
            "apimanagement_namedvalue_no_account_key",
            "apimanagement_service_identity_least_privilege",
        )
        console.rule("[bold]7. The AI gateway apim-contoso-ai and the accounts behind it[/]")
        gateway_cases = [r for r in results if r.rule in gateway_rules and r.outcome not in (Outcome.COMPLIANT, Outcome.UNCHANGED)]
        for result in sorted(gateway_cases, key=lambda r: gateway_rules.index(str(r.rule))):
            console.print(Padding(escape(layout.where(result.resource_id)), (0, 0, 0, 2)))
            _verdict(console, result, "", people)
        if not gateway_cases:
            console.print("  no gateway finding: the policy file names no fronted account (gateways.fronted)")

        owner = f"/subscriptions/{prod}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
        grant = f"{oai}/providers/Microsoft.Authorization/roleAssignments/0f6b0c1e-0042-4a00-8000-000000000042"
        step(
            '8. The developer gives itself Owner on the account "for a day"',
            lambda: world.act_as(
                DEVELOPER,
                "PUT",
                grant,
                {"properties": {"roleDefinitionId": owner, "principalId": DEVELOPER, "principalType": "User"}},
                api_version=api_versions.AUTHORIZATION,
            ),
        )

        console.rule("[bold]9. Two security approvers remove the Owner grant through the approval API[/]")
        _approve_removal(world, policy, grant, console)

        console.rule("[bold]10. Canary probes[/]: known attacks sent to the opted-in deployments")
        _probes(world, policy, console, totals)

        console.rule("[bold]11. Defender for AI alerts become incidents; a playbook is approved[/]")
        _incidents(world, policy, console)

        console.rule("[bold]Summary[/]")
        table = Table(show_header=True)
        table.add_column("outcome")
        table.add_column("count", justify="right")
        for outcome, count in sorted(totals.items()):
            table.add_row(outcome, str(count))
        console.print(table)
        cases = list(world.store.cases(status=CaseStatus.OPEN))
        console.print(f"{len(cases)} open case(s) waiting for a security approver, for example:")
        for case in cases[:5]:
            console.print(f"  - [bold]{case.rule}[/]")
            console.print(Padding(escape(f"on {layout.where(case.resource_id)}: {named(case.reason, people)}"), (0, 0, 0, 4)))
        audit = list(world.store.audit_log())
        console.print(f"{len(audit)} audit records (who, what, before, after, correlation id).")

        inventory = world.inventory()
        tap = AssetTap(inventory, policy.data, policy.gateways)
        findings, summary = Evaluator(policy, now=datetime.now(UTC)).run(tap)
        found = list(findings)
        report.write_text(html.render(found, summary.to_json(), generated=datetime.now(UTC), assets=tap.finish(found)))
        inventory.close()
        console.print(f"HTML report of the estate as it is now: {report}")
    return 0


def seed_people(world: compose.SimulatedWorld) -> dict[str, Principal]:
    """The story's people in the simulated directory (the developer, its pipeline, the approvers, and
    the sample tenant's own), as the demo and `make console` name them; returns the directory's answer."""
    world.sample.seed_directory(world.sim)
    directory = world.sim.directory
    directory.add(DEVELOPER, "User", "Dana Developer", upn="dana.developer@contoso.onmicrosoft.com")
    directory.add(PIPELINE, "ServicePrincipal", "deploy-pipeline")
    for oid, name in APPROVERS:
        directory.add(oid, "User", name, upn=f"{name.split()[0].lower()}@contoso.onmicrosoft.com")
    graph = world.directory()
    try:
        return graph.principals([DEVELOPER, PIPELINE, *(oid for oid, _ in APPROVERS)])
    finally:
        graph.close()


def _verdict(console: Console, result: Result, timing: str, people: Mapping[str, Principal]) -> None:
    """The outcome and rule on one line (both whole), the reason wrapped beneath at the terminal's width."""
    style = STYLE.get(result.outcome)
    # An outcome without a style is shown plain: "[]" is no markup.
    outcome = f"[{style}]{result.outcome.value:<11}[/]" if style else escape(f"{result.outcome.value:<11}")
    console.print(f"  {outcome} [bold]{result.rule or ''}[/]")
    console.print(Padding(escape(named(result.reason, people)) + (f" [dim]({timing})[/]" if timing else ""), (0, 0, 0, 14)))


def _ack(world: compose.SimulatedWorld, totals: Counter[str]) -> None:
    for _ in _deliver(world, totals):
        pass


def _deliver(world: compose.SimulatedWorld, totals: Counter[str]) -> list[tuple[Result, float]]:
    """Hand every queued event to the responder, as Event Grid would, timing each."""
    out: list[tuple[Result, float]] = []
    while events := world.take_events():
        for raw in events:
            started = time.perf_counter()
            results = world.responder.handle(parse_event(raw))
            ms = (time.perf_counter() - started) * 1000
            world.settle()
            for r in results:
                totals[r.outcome.value] += 1
                out.append((r, ms))
    return out


def _approve_removal(world: compose.SimulatedWorld, policy: Policy, grant: str, console: Console) -> None:
    """The calls the console makes, through the same API code the HTTP functions run (Easy Auth's
    principal header included): the critical rule needs two different approvers."""
    import json

    from driftguard.cases.api import REQUEST_HEADER, ApiRequest, ApprovalApi
    from driftguard.cases.auth import PRINCIPAL_HEADER, Role, encode_principal

    desk = world.desk(policy)
    api = ApprovalApi(lambda: desk, easy_auth=True)
    approvers = list(APPROVERS)
    case = next(c for c in world.store.cases(status=CaseStatus.OPEN) if c.resource_id.lower() == grant.lower())
    for oid, name in [(DEVELOPER, "the developer"), *approvers]:
        headers = {
            PRINCIPAL_HEADER: encode_principal(oid, name, (Role.APPROVER.value,)),
            REQUEST_HEADER: "1",
            "content-type": "application/json",
        }
        body = json.dumps({"reason": "no standing Owner outside PIM", "plan_digest": case.plan_digest}).encode()
        answer = api.decide(ApiRequest("POST", headers, {}, body), case.id, "approve")
        payload = answer.json()
        text = payload.get("message") or payload.get("error")
        console.print(f"  {name:<18} POST /api/cases/{case.id}/approve -> {answer.status}")
        console.print(Padding(escape(str(text)), (0, 0, 0, 4)))
    gone = world.sim.estate.get(grant) is None
    console.print(f"  the Owner assignment is {'gone' if gone else 'still there'}; the case is {world.store.case(case.id).status.value}")  # type: ignore[union-attr]


def _probes(world: compose.SimulatedWorld, policy: Policy, console: Console, totals: Counter[str]) -> None:
    """The daily probe run, through the `openai` client and the simulator's data plane: a filter that is
    configured but lets a known attack through becomes a high case. Verdicts only, never the prompts."""
    run = world.probe(policy)
    if not run.verdicts:
        console.print(Padding(escape("; ".join(run.skipped) or "nothing to probe") + " (see `probes` in docs/policy.md)", (0, 0, 0, 2)))
        return
    by_deployment: dict[str, Counter[str]] = {}
    for v in run.verdicts:
        by_deployment.setdefault(v.deployment_id, Counter())[v.outcome.value] += 1
    for rid, outcomes in by_deployment.items():
        failed = any(o in outcomes for o in ("passed", "detected_only"))
        style = "bold red" if failed else "bold green"
        shown = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items()))
        console.print(f"  [{style}]{'fails' if failed else 'blocks':<11}[/] {escape(shown)}")
        console.print(Padding(escape(layout.where(rid)), (0, 0, 0, 14)))
    for finding in run.findings:
        console.print(f"  [bold yellow]{'case_opened':<11}[/] [bold]{finding.rule}[/]")
        console.print(Padding(escape(finding.message), (0, 0, 0, 14)))
    totals["case_opened"] += len(run.cases)


def _incidents(world: compose.SimulatedWorld, policy: Policy, console: Console) -> None:
    """The alert timer's sweep (Resource Graph `securityresources`), then the approval of the jailbreak
    incident's playbook through the same API and desk as any fix."""
    import json

    from driftguard.cases.api import REQUEST_HEADER, ApiRequest, ApprovalApi
    from driftguard.cases.auth import PRINCIPAL_HEADER, Role, encode_principal

    outcome = world.incidents(policy).sweep()
    console.print(f"  {outcome.read} alert(s) read in one Resource Graph query; {len(outcome.opened)} incident case(s) opened")
    for case in outcome.opened:
        alert = case.evidence.get("alert") or {}
        changes = case.evidence.get("recent_changes") or []
        console.print(f"  [bold yellow]{'incident':<11}[/] [bold]{escape(str(alert.get('type')))}[/] ({alert.get('severity')})")
        found = len(case.evidence.get("open_findings") or [])
        text = f"on {layout.where(str(alert.get('resource_id')))}: {case.reason} [{found} open finding(s) on it, {len(changes)} change(s) in 24 h]"
        console.print(Padding(escape(text), (0, 0, 0, 14)))
    again = world.incidents(policy).sweep()
    console.print(
        Padding(
            f"the next sweep reads the alerts again (they overlap): {len(again.opened)} new case(s), {again.already_open} already open",
            (0, 0, 0, 2),
        )
    )
    playbook = next((c for c in outcome.opened if c.plan_digest), None)
    if playbook is None:
        return
    desk = world.desk(policy)
    api = ApprovalApi(lambda: desk, easy_auth=True)
    headers = {
        PRINCIPAL_HEADER: encode_principal("a11ce000-0000-4000-8000-00000000000a", "Alice (security)", (Role.APPROVER.value,)),
        REQUEST_HEADER: "1",
        "content-type": "application/json",
    }
    body = json.dumps({"reason": "jailbreak got through: block it", "plan_digest": playbook.plan_digest}).encode()
    answer = api.decide(ApiRequest("POST", headers, {}, body), playbook.id, "approve")
    payload = answer.json()
    console.print(f"  Alice (security)   POST /api/cases/{playbook.id}/approve -> {answer.status}")
    console.print(Padding(escape(str(payload.get("message") or payload.get("error"))), (0, 0, 0, 4)))
    policy_now = world.sim.estate.get(playbook.resource_id) or {}
    jailbreak: dict[str, object] = next(
        (f for f in policy_now.get("properties", {}).get("contentFilters", []) if f.get("name") == "Jailbreak"), {}
    )
    console.print(
        f"  the jailbreak filter of {playbook.resource_id.rsplit('/', 1)[-1]} is now enabled={jailbreak.get('enabled')}, blocking={jailbreak.get('blocking')}"
    )
