"""evaluate -> decide -> act, shared by every entry point.

This module holds the evaluate stage: an inventory in, a stream of findings and a summary out. Rules
that need data joined from other resources (deployments need their RAI policies, storage needs the AI
resources that use it) are deferred to a second phase; everything else is judged as it streams past.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from driftguard import rules as rule_registry
from driftguard.ids import fold
from driftguard.inventory import Inventory, InventoryError
from driftguard.model import JSON, Finding, Mode, ResourceSnapshot, Severity, Source
from driftguard.policy import Policy
from driftguard.rules import cognitiveservices_deployment_content_filter_enforced as content_filter
from driftguard.rules.base import Evaluate, NotEvaluable, RaiFilterIndex, RuleContext, RuleMeta, is_ai_storage, parent_id, prop, same
from driftguard.rules.cognitiveservices_account_keys_not_exposed import KEY_EVENTS
from driftguard.rules.gateway import (
    GATEWAY,
    GATEWAY_ROLE_ASSIGNMENTS,
    GATEWAY_ROLE_DEFINITIONS,
    PRIVATE_ENDPOINTS,
    approved_private_endpoints,
)
from driftguard.rules.gateway import SERVICE as GATEWAY_SERVICE
from driftguard.rules.machinelearning_workspace_public_network_access_disabled import HUB, hub_id

ACCOUNT = "microsoft.cognitiveservices/accounts"
DEPLOYMENT = "microsoft.cognitiveservices/accounts/deployments"
RAI_POLICY = "microsoft.cognitiveservices/accounts/raipolicies"
WORKSPACE = "microsoft.machinelearningservices/workspaces"
STORAGE = "microsoft.storage/storageaccounts"
BUILT_IN_DEFAULT = "Microsoft.Default"


@dataclass
class ScanSummary:
    source: Source
    resources: int = 0
    evaluated: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    skipped_types: Counter[str] = field(default_factory=Counter)
    findings: int = 0
    by_severity: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    # rule id -> reason -> number of resources the rule could not judge
    not_evaluated: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    rules_off: list[str] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        self.findings += 1
        self.by_severity[finding.severity.label] += 1
        self.by_rule[finding.rule] += 1

    def to_json(self) -> JSON:
        return {
            "source": self.source.value,
            "resources": self.resources,
            "evaluated": self.evaluated,
            "by_type": dict(sorted(self.by_type.items())),
            "skipped_unknown_types": sum(self.skipped_types.values()),
            "skipped_types": dict(sorted(self.skipped_types.items())),
            "findings": self.findings,
            "by_severity": {s.label: self.by_severity.get(s.label, 0) for s in sorted(Severity, reverse=True)},
            "by_rule": dict(sorted(self.by_rule.items())),
            "not_evaluated": {r: dict(c) for r, c in sorted(self.not_evaluated.items())},
            "rules_off": sorted(self.rules_off),
        }


class ResourceShapeError(InventoryError):
    pass


def check_shape(item: Any, index: int) -> Mapping[str, Any]:
    """A resource must be an object with string `id` and `type`; the error names the one that is not."""
    if not isinstance(item, Mapping):
        raise ResourceShapeError(f"resource #{index + 1}: expected a JSON object, got {type(item).__name__}")
    for key in ("id", "type"):
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            name = item.get("id") or item.get("name") or "(no id)"
            raise ResourceShapeError(f"resource #{index + 1} ({name}): missing or empty {key!r}")
    return item


class Evaluator:
    """Runs the registered rules over an inventory. One instance per scan."""

    def __init__(
        self,
        policy: Policy,
        *,
        now: datetime | None = None,
        rules: Mapping[str, tuple[RuleMeta, Evaluate]] | None = None,
        baselines: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.policy = policy
        self.now = now or datetime.now(UTC)
        self.rules = dict(rules if rules is not None else rule_registry.registry())
        self.baselines = baselines or {}
        self._by_type: dict[str, list[tuple[RuleMeta, Evaluate]]] = {}
        self.off: list[str] = []
        for meta, evaluate in self.rules.values():
            if policy.modes.get(meta.id) == Mode.OFF and not any(o.rule == meta.id for o in policy.overrides):
                self.off.append(meta.id)
                continue
            for t in meta.resource_types:
                self._by_type.setdefault(t.lower(), []).append((meta, evaluate))

    def run(self, inventory: Inventory, *, progress: Callable[[int], None] | None = None) -> tuple[Iterator[Finding], ScanSummary]:
        summary = ScanSummary(source=inventory.source, rules_off=list(self.off))
        return self._run(inventory, summary, progress), summary

    def _run(self, inventory: Inventory, summary: ScanSummary, progress: Callable[[int], None] | None) -> Iterator[Finding]:
        # Memory stays bounded whatever the order: what must wait for a join waits as compact JSON text,
        # except the current account's deployments, which Resource Graph's id order follows at once
        # with that account's RAI policies.
        waiting_storage: list[bytes] = []  # storage no AI resource has named yet
        waiting_projects: list[bytes] = []  # projects, judged with their hub once every hub was seen
        hubs: dict[str, Mapping[str, Any]] = {}  # hub workspaces by id (lower case): few, kept whole
        waiting_deployments: list[bytes] = []  # deployments of earlier accounts whose RAI policy was not seen
        waiting_fronted: list[bytes] = []  # accounts behind a gateway, judged with it once every gateway was seen
        gateways: dict[str, Mapping[str, Any]] = {}  # API Management services by id (folded): few, kept whole
        current_account = ""
        current_deployments: list[Mapping[str, Any]] = []  # deployments of the account being read
        rai: dict[str, dict[str, RaiFilterIndex]] = defaultdict(dict)
        interned: dict[RaiFilterIndex, RaiFilterIndex] = {}  # equal policies share one index object
        linked: set[str] = set()
        saw_rai = False
        needs_related: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # kind -> [(id, type, name)]
        context = self._context(rai, linked, rai_loaded=False)

        for index, raw in enumerate(inventory.resources()):
            item = check_shape(raw, index)
            summary.resources += 1
            if progress is not None and summary.resources % 500 == 0:
                progress(summary.resources)
            if current_deployments and not fold(str(item["id"])).startswith(current_account + "/"):
                waiting_deployments.extend(_compact(d) for d in current_deployments)
                current_deployments = []
            rtype = str(item["type"]).lower()
            if rtype not in self._by_type:
                summary.skipped_types[str(item["type"])] += 1
                continue
            summary.by_type[rtype] += 1
            if rtype == RAI_POLICY:
                saw_rai = True
                account = fold(parent_id(str(item["id"])))
                filters = content_filter.index_policy(item)
                rai[account][fold(str(item["id"]).rsplit("/", 1)[-1])] = interned.setdefault(filters, filters)
                if account == current_account and current_deployments:
                    ready = [d for d in current_deployments if _rai_known(d, rai)]
                    current_deployments = [d for d in current_deployments if not _rai_known(d, rai)]
                    for d in ready:
                        yield from self._evaluate(ResourceSnapshot(d), DEPLOYMENT, context, summary, needs_related)
            elif rtype in (ACCOUNT, WORKSPACE):
                linked.update(linked_storage(rtype, item))
                if hub_id(item) is not None:
                    waiting_projects.append(_compact(item))
                    continue
                if rtype == WORKSPACE and same(prop(item, "kind"), "Hub"):
                    hubs[str(item["id"]).lower()] = item
                if rtype == ACCOUNT and self.policy.gateways.gateway_of(str(item["id"])) is not None:
                    waiting_fronted.append(_compact(item))
                    continue
            elif rtype == GATEWAY_SERVICE:
                gateways[fold(str(item["id"]))] = item  # judged with its identity's role assignments, read in one batch
                continue
            elif rtype == DEPLOYMENT and not _rai_known(item, rai):
                current_account = fold(parent_id(str(item["id"])))
                current_deployments.append(item)
                continue
            elif rtype == STORAGE and not is_ai_storage(ResourceSnapshot(item), context):
                # Judged now only when known to hold AI data: a later AI resource may still name it.
                waiting_storage.append(_compact(item))
                continue
            found = self._evaluate(ResourceSnapshot(item), rtype, context, summary, needs_related)
            if found:
                yield from found

        # Phase 2: every resource was seen, the joins are complete.
        context = self._context(rai, linked, rai_loaded=saw_rai or inventory.rai_policies_loaded, memo=context.memo)
        for d in current_deployments:
            yield from self._evaluate(ResourceSnapshot(d), DEPLOYMENT, context, summary, needs_related)
        for text in waiting_projects:
            project = orjson.loads(text)
            hub = hubs.get(str(hub_id(project)).lower())
            yield from self._evaluate(ResourceSnapshot(project, {HUB: (hub,)} if hub else {}), WORKSPACE, context, summary, needs_related)
        waiting_projects.clear()
        fronted = [orjson.loads(text) for text in waiting_fronted]
        # The private endpoints their approved connections name (the subnet each is in), one batch; an
        # inventory that cannot read them leaves the rule to say "not evaluated" for those accounts.
        endpoint_ids = sorted({fold(pe) for account in fronted for pe in approved_private_endpoints(account)})
        endpoints = (inventory.related(PRIVATE_ENDPOINTS, endpoint_ids) if endpoint_ids else None) or {}
        for account in fronted:
            gateway = gateways.get(fold(str(self.policy.gateways.gateway_of(str(account["id"])))))
            related: dict[str, tuple[Mapping[str, Any], ...]] = {GATEWAY: (gateway,)} if gateway else {}
            if approved_private_endpoints(account):
                related[PRIVATE_ENDPOINTS] = tuple(e for pe in approved_private_endpoints(account) for e in endpoints.get(fold(pe), []))
            yield from self._evaluate(ResourceSnapshot(account, related), ACCOUNT, context, summary, needs_related)
        waiting_fronted.clear()
        yield from self._evaluate_gateways(inventory, gateways, context, summary, needs_related)
        for texts, rtype in ((waiting_deployments, DEPLOYMENT), (waiting_storage, STORAGE)):
            for text in texts:
                yield from self._evaluate(ResourceSnapshot(orjson.loads(text)), rtype, context, summary, needs_related)
            texts.clear()
        yield from self._evaluate_related(inventory, context, summary, needs_related)
        self._report_unlisted(inventory, summary)
        if progress is not None:
            progress(summary.resources)

    def _evaluate_gateways(
        self,
        inventory: Inventory,
        gateways: Mapping[str, Mapping[str, Any]],
        context: RuleContext,
        summary: ScanSummary,
        needs_related: dict[str, list[tuple[str, str, str]]],
    ) -> Iterator[Finding]:
        """API Management services, each with its identity's role assignments (one batch for all). When
        the inventory cannot read them, the rules that need them are reported as not evaluated."""
        if not gateways:
            return
        ids = [str(g["id"]) for g in gateways.values()]
        # Also where the accounts each fronts are: its roles there are on or above them.
        elsewhere = {fold(i): self.policy.gateways.subscriptions_of(i) for i in ids}
        data = inventory.related(GATEWAY_ROLE_ASSIGNMENTS, ids, subscriptions=elsewhere)
        # The roles they name, one read per role (None, or a role left out: the rule says not evaluated).
        named = sorted({str(d) for found in (data or {}).values() for a in found if (d := prop(a, "properties", "roleDefinitionId"))})
        definitions = (inventory.related(GATEWAY_ROLE_DEFINITIONS, named) if named else None) or {}
        for key, gateway in gateways.items():
            related: dict[str, tuple[Mapping[str, Any], ...]] = {}
            if data is not None:
                assignments = tuple(data.get(key, []))
                related[GATEWAY_ROLE_ASSIGNMENTS] = assignments
                related[GATEWAY_ROLE_DEFINITIONS] = tuple(
                    d for a in assignments for d in definitions.get(fold(str(prop(a, "properties", "roleDefinitionId") or "")), [])
                )
            yield from self._evaluate(ResourceSnapshot(gateway, related), GATEWAY_SERVICE, context, summary, needs_related)

    def _report_unlisted(self, inventory: Inventory, summary: ScanSummary) -> None:
        """Rules over a type the inventory did not list judged nothing: say so, counted per parent
        resource seen (an account whose deployments were not read), rather than pass silently."""
        reported: set[tuple[str, str]] = set()
        for rtype, reason in inventory.unlisted.items():
            parents = summary.by_type.get(rtype.rsplit("/", 1)[0], 0)
            for meta, _ in self._by_type.get(rtype, []):
                if parents and (meta.id, reason) not in reported:
                    reported.add((meta.id, reason))
                    summary.not_evaluated[meta.id][reason] += parents

    def _context(
        self, rai: Mapping[str, Mapping[str, RaiFilterIndex]], linked: set[str], *, rai_loaded: bool, memo: dict[Any, Any] | None = None
    ) -> RuleContext:
        # The context holds the live join tables: phase 1 sees them grow, phase 2 sees them complete.
        return RuleContext(
            policy=self.policy,
            now=self.now,
            rai_policies=rai,
            ai_linked_storage=linked,
            rai_policies_loaded=rai_loaded,
            baselines=self.baselines,
            memo={} if memo is None else memo,
        )

    def _evaluate(
        self,
        snapshot: ResourceSnapshot,
        rtype: str,
        context: RuleContext,
        summary: ScanSummary,
        needs_related: dict[str, list[tuple[str, str, str]]],
    ) -> list[Finding]:
        summary.evaluated += 1
        out: list[Finding] = []
        for meta, evaluate in self._by_type[rtype]:
            if meta.requires:
                missing = [k for k in meta.requires if k not in snapshot.related]
                if missing:
                    for kind in missing:
                        needs_related[kind].append((snapshot.id, snapshot.type, str(snapshot.resource.get("name", ""))))
                    continue
            # Inlined `_apply`: this loop runs a few hundred thousand times on a large estate.
            try:
                found = evaluate(snapshot, context)
            except NotEvaluable as e:
                summary.not_evaluated[meta.id][e.reason] += 1
                continue
            if found:
                out.extend(found)
        return _keep(out, summary) if out else out

    def _apply(
        self, meta: RuleMeta, evaluate: Evaluate, snapshot: ResourceSnapshot, context: RuleContext, summary: ScanSummary
    ) -> list[Finding]:
        try:
            found = evaluate(snapshot, context)
        except NotEvaluable as e:
            summary.not_evaluated[meta.id][e.reason] += 1
            return []
        return _keep(found, summary) if found else found

    def _evaluate_related(
        self,
        inventory: Inventory,
        context: RuleContext,
        summary: ScanSummary,
        needs_related: dict[str, list[tuple[str, str, str]]],
    ) -> Iterator[Finding]:
        """Rules that judge child data Resource Graph does not index. The resources are kept as their
        identity only (id, type, name), so that a large estate does not have to stay in memory; the
        child data is fetched per kind in one batch."""
        for kind, idents in needs_related.items():
            unique = list(dict.fromkeys(idents))
            data = inventory.related(kind, [i[0] for i in unique])
            for rid, rtype, name in unique:
                snapshot = ResourceSnapshot(
                    {"id": rid, "type": rtype, "name": name}, {kind: tuple(data.get(fold(rid), [])) if data is not None else ()}
                )
                for meta, evaluate in self._by_type[rtype.lower()]:
                    if kind not in meta.requires:
                        continue
                    if data is None:
                        summary.not_evaluated[meta.id][_why_not(kind, inventory.source)] += 1
                        continue
                    yield from self._apply(meta, evaluate, snapshot, context, summary)


def _why_not(kind: str, source: Source) -> str:
    if kind == KEY_EVENTS:
        return "judged on key-access events from Event Grid, not by a scan"
    if source is Source.SNAPSHOT:
        return f"{kind} not read: the snapshot holds none"
    return f"{kind} not read: run with --deep to read them"


def _compact(item: Mapping[str, Any]) -> bytes:
    return orjson.dumps(item)


def _keep(found: list[Finding], summary: ScanSummary) -> list[Finding]:
    """Findings the policy has not switched off for their scope, counted in the summary."""
    kept = [f for f in found if f.mode != Mode.OFF]
    for finding in kept:
        summary.add(finding)
    return kept


def _rai_known(deployment: Mapping[str, Any], rai: Mapping[str, Mapping[str, RaiFilterIndex]]) -> bool:
    """Whether the RAI policy a deployment names is built in or already read."""
    name = fold(str(prop(deployment.get("properties") or {}, "raiPolicyName") or BUILT_IN_DEFAULT))
    return name in content_filter.BUILT_IN or name in rai.get(fold(parent_id(str(deployment["id"]))), {})


def linked_storage(rtype: str, resource: Mapping[str, Any]) -> set[str]:
    """Storage accounts an AI resource keeps its data in: an ML workspace's storage (and a hub's extra
    storage), an AI account's user-owned storage. Each type is asked only for its own properties."""
    out: set[str] = set()
    props = resource.get("properties")
    if not isinstance(props, Mapping):
        return out
    if rtype == WORKSPACE:
        ws = prop(props, "storageAccount")
        if isinstance(ws, str) and ws:
            out.add(fold(ws))
        out.update(fold(s) for s in prop(props, "storageAccounts") or [] if isinstance(s, str))
    else:
        for owned in prop(props, "userOwnedStorage") or []:
            rid = prop(owned, "resourceId") if isinstance(owned, Mapping) else None
            if isinstance(rid, str) and rid:
                out.add(fold(rid))
    return out
