"""Regenerates a storage account's key1 then key2 (`POST …/storageAccounts/{s}/regenerateKey
{"keyName": "key1"}`, lower case, Storage 2025-06-01). The keys Azure returns are never read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan, Step
from remediations.base import STORAGE, PlanContext, Remediation, canonical_id

ID = "storage_account_regenerate_keys"


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    rid = canonical_id(resource)
    steps = tuple(Step("POST", f"{rid}/regenerateKey", api_versions.STORAGE, {"keyName": name}) for name in ("key1", "key2"))
    return Plan(ID, rid, steps, {"keys": "possibly exposed"}, {"keys": "regenerated"}, "regenerate key1 then key2")


REMEDIATION = Remediation(
    ID,
    "Regenerate a storage account's access keys",
    STORAGE,
    ("Microsoft.Storage/storageAccounts/regenerateKey/action",),
    plan,
    touches="Invalidates key1 and key2: every connection string and account SAS signed with them stops working until it is given a new key.",
)
