"""evaluate -> decide -> act, shared by every entry point.

This module holds the evaluate stage: an inventory in, a stream of findings and a summary out. Rules
that need data joined from other resources (deployments need their RAI policies, storage needs the AI
resources that use it) are deferred to a second phase; everything else is judged as it streams past.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from driftguard import rules as rule_registry
from driftguard.inventory import Inventory, InventoryError
from driftguard.model import JSON, Finding, Mode, ResourceSnapshot, Severity, Source
from driftguard.policy import Policy
from driftguard.rules import cognitiveservices_deployment_content_filter_enforced as content_filter
from driftguard.rules.base import Evaluate, NotEvaluable, RuleContext, RuleMeta, is_ai_storage, parent_id, prop
from driftguard.rules.cognitiveservices_account_keys_not_exposed import KEY_EVENTS

ACCOUNT = "microsoft.cognitiveservices/accounts"
DEPLOYMENT = "microsoft.cognitiveservices/accounts/deployments"
RAI_POLICY = "microsoft.cognitiveservices/accounts/raipolicies"
WORKSPACE = "microsoft.machinelearningservices/workspaces"
STORAGE = "microsoft.storage/storageaccounts"
# Their rules join against other resources: judged when the join is complete, at the latest at the end.
DEFERRED = frozenset({DEPLOYMENT, STORAGE})
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
        self._by_type: dict[str, list[tuple[RuleMeta, Evaluate]]] = defaultdict(list)
        self.off: list[str] = []
        for meta, evaluate in self.rules.values():
            if policy.modes.get(meta.id) == Mode.OFF and not any(o.rule == meta.id for o in policy.overrides):
                self.off.append(meta.id)
                continue
            for t in meta.resource_types:
                self._by_type[t.lower()].append((meta, evaluate))

    def known_type(self, rtype: str) -> bool:
        return rtype.lower() in self._by_type

    def run(self, inventory: Inventory, *, progress: Callable[[int], None] | None = None) -> tuple[Iterator[Finding], ScanSummary]:
        summary = ScanSummary(source=inventory.source, rules_off=list(self.off))
        return self._run(inventory, summary, progress), summary

    def _run(self, inventory: Inventory, summary: ScanSummary, progress: Callable[[int], None] | None) -> Iterator[Finding]:
        # Resources whose joins are not complete yet wait as compact JSON text: a large estate's
        # unlinked storage accounts must not all sit in memory as dicts.
        deferred: list[str] = []
        rai: dict[str, dict[str, Mapping[str, Any]]] = defaultdict(dict)
        linked_storage: set[str] = set()
        saw_rai = False
        needs_related: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # kind -> [(id, type, name)]
        context = self._context(rai, linked_storage, rai_loaded=False)

        for index, raw in enumerate(inventory.resources()):
            item = check_shape(raw, index)
            summary.resources += 1
            if progress is not None and summary.resources % 500 == 0:
                progress(summary.resources)
            rtype = str(item["type"]).lower()
            if not self.known_type(rtype):
                summary.skipped_types[str(item["type"])] += 1
                continue
            summary.by_type[rtype] += 1
            if rtype == RAI_POLICY:
                saw_rai = True
                rai[parent_id(str(item["id"])).lower()][str(item["id"]).rsplit("/", 1)[-1].lower()] = item
            elif rtype in (ACCOUNT, WORKSPACE):
                linked_storage.update(_linked_storage(item))
            elif rtype in DEFERRED and not _joins_complete(rtype, item, rai, context):
                deferred.append(json.dumps(item, separators=(",", ":")))
                continue
            found = self._evaluate(ResourceSnapshot(item), context, summary, needs_related)
            if found:
                yield from found

        # Phase 2: every resource was seen, the joins are complete.
        context = self._context(rai, linked_storage, rai_loaded=saw_rai or inventory.rai_policies_loaded, memo=context.memo)
        for text in deferred:
            yield from self._evaluate(ResourceSnapshot(json.loads(text)), context, summary, needs_related)
        del deferred
        yield from self._evaluate_related(inventory, context, summary, needs_related)
        if progress is not None:
            progress(summary.resources)

    def _context(
        self, rai: Mapping[str, Mapping[str, Mapping[str, Any]]], linked: set[str], *, rai_loaded: bool, memo: dict[Any, Any] | None = None
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
        context: RuleContext,
        summary: ScanSummary,
        needs_related: dict[str, list[tuple[str, str, str]]],
    ) -> list[Finding]:
        summary.evaluated += 1
        out: list[Finding] = []
        for meta, evaluate in self._by_type[snapshot.type.lower()]:
            if meta.requires:
                missing = [k for k in meta.requires if k not in snapshot.related]
                if missing:
                    for kind in missing:
                        needs_related[kind].append((snapshot.id, snapshot.type, str(snapshot.resource.get("name", ""))))
                    continue
            out.extend(self._apply(meta, evaluate, snapshot, context, summary))
        return out

    def _apply(
        self, meta: RuleMeta, evaluate: Evaluate, snapshot: ResourceSnapshot, context: RuleContext, summary: ScanSummary
    ) -> list[Finding]:
        try:
            found = evaluate(snapshot, context)
        except NotEvaluable as e:
            summary.not_evaluated[meta.id][e.reason] += 1
            return []
        if not found:
            return found
        kept = [f for f in found if f.mode != Mode.OFF]
        for finding in kept:
            summary.add(finding)
        return kept

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
                    {"id": rid, "type": rtype, "name": name}, {kind: tuple(data.get(rid.lower(), [])) if data is not None else ()}
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


def _joins_complete(rtype: str, item: Mapping[str, Any], rai: Mapping[str, Mapping[str, Any]], context: RuleContext) -> bool:
    """Whether a deployment or storage account can be judged now, before the whole estate was seen."""
    snapshot = ResourceSnapshot(item)
    if rtype == STORAGE:
        # Judged now only when known to hold AI data; otherwise a later AI resource may still name it.
        return is_ai_storage(snapshot, context)
    name = str(prop(snapshot.properties, "raiPolicyName") or BUILT_IN_DEFAULT).lower()
    return name in content_filter.BUILT_IN or name in rai.get(parent_id(snapshot.id).lower(), {})


def _linked_storage(resource: Mapping[str, Any]) -> set[str]:
    """Storage accounts an AI resource keeps its data in (ML workspace storage, AI account BYOS)."""
    out: set[str] = set()
    props = resource.get("properties")
    if not isinstance(props, Mapping):
        return out
    ws = prop(props, "storageAccount")
    if isinstance(ws, str) and ws:
        out.add(ws.lower())
    for extra in prop(props, "storageAccounts") or []:
        if isinstance(extra, str):
            out.add(extra.lower())
    for owned in prop(props, "userOwnedStorage") or []:
        rid = prop(owned, "resourceId") if isinstance(owned, Mapping) else None
        if isinstance(rid, str) and rid:
            out.add(rid.lower())
    return out
