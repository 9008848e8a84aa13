"""The AI asset inventory: every AI account, model deployment, workspace, Search service, code-execution
session pool and the storage they use, with owner and data-classification tags and the asset's posture
(open findings by severity). Built in the same pass as a scan: the inventory stream is tapped as the engine reads it."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from driftguard.ids import fold
from driftguard.inventory import Inventory
from driftguard.model import Finding, Source
from driftguard.pipeline import ACCOUNT, DEPLOYMENT, STORAGE, WORKSPACE, linked_storage
from driftguard.policy import DataPolicy
from driftguard.rules.base import is_false, parent_id, prop

SEARCH = "microsoft.search/searchservices"
SESSION_POOL = "microsoft.app/sessionpools"  # code-execution sandboxes for agents
ASSET_TYPES = frozenset({ACCOUNT, WORKSPACE, SEARCH, STORAGE, SESSION_POOL})
OWNER_TAGS = ("owner", "Owner", "owner-email", "team")


@dataclass
class Asset:
    resource_id: str
    type: str
    name: str
    kind: str
    location: str
    endpoint: str
    owner: str
    classification: str
    deployments: list[str] = field(default_factory=list)
    storage: list[str] = field(default_factory=list)
    findings: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "resource_id": self.resource_id,
            "type": self.type,
            "name": self.name,
            "kind": self.kind,
            "location": self.location,
            "endpoint": self.endpoint,
            "owner": self.owner,
            "classification": self.classification,
            "deployments": self.deployments,
            "linked_storage": self.storage,
            "open_findings": dict(self.findings),
        }


class AssetTap:
    """Wraps an inventory: passes every resource on to the engine and keeps the few fields the asset
    inventory needs (not the resources themselves: memory stays bounded)."""

    def __init__(self, inventory: Inventory, data: DataPolicy) -> None:
        self.inner = inventory
        self.source: Source = inventory.source
        self.rai_policies_loaded = inventory.rai_policies_loaded
        self.unlisted = inventory.unlisted
        self.classification_tag = data.classification_tag
        self.ai_data_tag = data.ai_data_tag
        self._tagged: set[str] = set()
        self.assets: dict[str, Asset] = {}
        self._deployments: list[tuple[str, str]] = []
        self._links: dict[str, set[str]] = {}

    def resources(self) -> Iterator[Mapping[str, Any]]:
        for resource in self.inner.resources():
            self._take(resource)
            yield resource

    def related(self, kind: str, resource_ids: Sequence[str]) -> Mapping[str, list[Mapping[str, Any]]] | None:
        return self.inner.related(kind, resource_ids)

    def _take(self, r: Mapping[str, Any]) -> None:
        rtype = str(r.get("type", "")).lower()
        rid = str(r.get("id", ""))
        if rtype == DEPLOYMENT:
            model = prop(r, "properties", "model") or {}
            text = f"{r.get('name')}: {prop(model, 'name')} {prop(model, 'version') or ''} (filter {prop(r, 'properties', 'raiPolicyName') or 'Microsoft.Default'})"
            self._deployments.append((fold(parent_id(rid)), text.replace("  ", " ")))
            return
        if rtype not in ASSET_TYPES:
            return
        tags = r.get("tags")
        if not isinstance(tags, Mapping):
            tags = {}
        self.assets[fold(rid)] = Asset(
            resource_id=rid,
            type=rtype,
            name=str(r.get("name", "")),
            kind=str(r.get("kind") or ("Sandbox" if rtype == SESSION_POOL else "")),  # a session pool has no kind
            location=str(r.get("location") or ""),
            endpoint=str(
                prop(r, "properties", "endpoint")
                or prop(r, "properties", "discoveryUrl")
                or prop(r, "properties", "poolManagementEndpoint")
                or ""
            ),
            owner=next((str(tags[t]) for t in OWNER_TAGS if t in tags), ""),
            classification=str(tags.get(self.classification_tag, "")),
        )
        if rtype in (ACCOUNT, WORKSPACE):
            self._links[fold(rid)] = linked_storage(rtype, r)
        if self.ai_data_tag in tags and not is_false(tags[self.ai_data_tag]):
            self._tagged.add(fold(rid))

    def finish(self, findings: Iterable[Finding]) -> list[Asset]:
        """The asset rows, with deployments, links and the findings of the scan folded in. Consumes the
        findings first: they drive the reading of the inventory this tap sits on."""
        found = list(findings)
        for account, text in self._deployments:
            if account in self.assets:
                self.assets[account].deployments.append(text)
        for owner, storages in self._links.items():
            self.assets[owner].storage = sorted(storages)
        by_id = self.assets
        for f in found:
            target = by_id.get(fold(f.resource_id)) or by_id.get(fold(parent_id(f.resource_id)))
            if target is not None:
                target.findings[f.severity.label] += 1
        linked = {s for a in self.assets.values() for s in a.storage}
        ai_data = linked | self._tagged
        rows = [a for a in self.assets.values() if a.type != STORAGE or fold(a.resource_id) in ai_data or a.classification]
        return sorted(rows, key=lambda a: (a.type, a.resource_id.lower()))


def to_csv(assets: Sequence[Asset]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "resource_id",
            "type",
            "name",
            "kind",
            "location",
            "endpoint",
            "owner",
            "classification",
            "deployments",
            "linked_storage",
            "open_findings",
        ]
    )
    for a in assets:
        findings = "; ".join(f"{k}: {v}" for k, v in sorted(a.findings.items()))
        writer.writerow(
            [
                a.resource_id,
                a.type,
                a.name,
                a.kind,
                a.location,
                a.endpoint,
                a.owner,
                a.classification,
                " | ".join(a.deployments),
                " | ".join(a.storage),
                findings,
            ]
        )
    return out.getvalue()
