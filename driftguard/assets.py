"""The AI asset inventory: every AI account, model deployment, workspace, Search service, code-execution
session pool, AI gateway and the storage they use, with owner and data-classification tags, which
accounts sit behind which gateway, and the asset's posture (open findings by severity). Built in the same
pass as a scan: the inventory stream is tapped as the engine reads it."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from driftguard.ids import fold
from driftguard.inventory import Inventory
from driftguard.model import Finding, Source
from driftguard.pipeline import ACCOUNT, DEPLOYMENT, STORAGE, WORKSPACE, linked_storage
from driftguard.policy import DataPolicy, GatewayPolicy
from driftguard.rules.base import is_false, parent_id, prop
from driftguard.rules.gateway import BACKEND, is_ai_backend
from driftguard.rules.gateway import SERVICE as GATEWAY

SEARCH = "microsoft.search/searchservices"
SESSION_POOL = "microsoft.app/sessionpools"  # code-execution sandboxes for agents
ASSET_TYPES = frozenset({ACCOUNT, WORKSPACE, SEARCH, STORAGE, SESSION_POOL, GATEWAY})
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
    # An account: the gateways in front of it; a gateway: the accounts it fronts (ids as ARM has them).
    gateways: list[str] = field(default_factory=list)
    # How each of those is known, by id: "policy" where the policy file says so, "backend" where a
    # gateway's backend calls the account's endpoint, both where both agree.
    known_by: dict[str, list[str]] = field(default_factory=dict)
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
            "gateways" if self.type != GATEWAY else "fronts": self.gateways,
            "gateways_known_by" if self.type != GATEWAY else "fronts_known_by": {g: self.known_by.get(g, []) for g in self.gateways},
            "open_findings": dict(self.findings),
        }


class AssetTap:
    """Wraps an inventory: passes every resource on to the engine and keeps the few fields the asset
    inventory needs (not the resources themselves: memory stays bounded)."""

    def __init__(self, inventory: Inventory, data: DataPolicy, gateways: GatewayPolicy | None = None) -> None:
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
        self._gateway_policy = gateways or GatewayPolicy()
        self._backends: list[tuple[str, str]] = []  # (gateway id folded, host a backend calls)

    def resources(self) -> Iterator[Mapping[str, Any]]:
        for resource in self.inner.resources():
            self._take(resource)
            yield resource

    def related(
        self, kind: str, resource_ids: Sequence[str], *, subscriptions: Mapping[str, Sequence[str]] | None = None
    ) -> Mapping[str, list[Mapping[str, Any]]] | None:
        return self.inner.related(kind, resource_ids, subscriptions=subscriptions)

    def _take(self, r: Mapping[str, Any]) -> None:
        rtype = str(r.get("type", "")).lower()
        rid = str(r.get("id", ""))
        if rtype == DEPLOYMENT:
            model = prop(r, "properties", "model") or {}
            text = f"{r.get('name')}: {prop(model, 'name')} {prop(model, 'version') or ''} (filter {prop(r, 'properties', 'raiPolicyName') or 'Microsoft.Default'})"
            self._deployments.append((fold(parent_id(rid)), text.replace("  ", " ")))
            return
        if rtype == BACKEND:
            props = r.get("properties")
            if isinstance(props, Mapping) and is_ai_backend(props):
                self._backends.append((fold(parent_id(rid)), _host(prop(props, "url"))))
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
            # Session pools and API Management services have no kind: say what they are here.
            kind=str(r.get("kind") or {SESSION_POOL: "Sandbox", GATEWAY: "AI gateway"}.get(rtype, "")),
            location=str(r.get("location") or ""),
            endpoint=str(
                prop(r, "properties", "endpoint")
                or prop(r, "properties", "discoveryUrl")
                or prop(r, "properties", "poolManagementEndpoint")
                or prop(r, "properties", "gatewayUrl")
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
        self._fronting()
        by_id = self.assets
        for f in found:
            target = by_id.get(fold(f.resource_id)) or by_id.get(fold(parent_id(f.resource_id)))
            if target is not None:
                target.findings[f.severity.label] += 1
        linked = {s for a in self.assets.values() for s in a.storage}
        ai_data = linked | self._tagged
        rows = [a for a in self.assets.values() if a.type != STORAGE or fold(a.resource_id) in ai_data or a.classification]
        return sorted(rows, key=lambda a: (a.type, a.resource_id.lower()))

    def _fronting(self) -> None:
        """Which gateway fronts which account: as the policy file declares it, and as the gateways'
        backends show it (a backend calling the account's endpoint)."""
        how: dict[tuple[str, str], list[str]] = {}
        accounts = [a for a in self.assets.values() if a.type == ACCOUNT]
        for account in accounts:
            declared = self._gateway_policy.gateway_of(account.resource_id)
            if declared is not None:
                how.setdefault((fold(declared), fold(account.resource_id)), []).append("policy")
        by_host = {_host(a.endpoint): fold(a.resource_id) for a in accounts if a.endpoint}
        for gateway, host in self._backends:
            if host and host in by_host:
                seen = how.setdefault((gateway, by_host[host]), [])
                if "backend" not in seen:
                    seen.append("backend")
        for (gateway, fronted), sources in sorted(how.items()):
            front = self.assets.get(gateway)
            behind = self.assets[fronted]
            gateway_id = front.resource_id if front else gateway
            behind.gateways.append(gateway_id)
            behind.known_by[gateway_id] = list(sources)
            if front is not None:
                front.gateways.append(behind.resource_id)
                front.known_by[behind.resource_id] = list(sources)


def _host(url: Any) -> str:
    try:
        return (urlsplit(str(url or "")).hostname or "").lower()
    except ValueError:
        return ""


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
            "gateways",
            "gateways_known_by",
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
                " | ".join(a.gateways),
                " | ".join(", ".join(a.known_by.get(g, [])) for g in a.gateways),
                findings,
            ]
        )
    return out.getvalue()
