"""Regenerates Key1 then Key2. The keys Azure returns are never kept: the writer discards response
bodies of key actions, and nothing here logs or stores them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan, Step
from remediations.base import PlanContext, Remediation, canonical_id

ID = "cognitiveservices_account_regenerate_keys"
TYPES = ("Microsoft.CognitiveServices/accounts",)


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    rid = canonical_id(resource)
    version = api_versions.for_type(str(resource.get("type")))
    steps = tuple(Step("POST", f"{rid}/regenerateKey", version, {"keyName": name}) for name in ("Key1", "Key2"))
    return Plan(ID, rid, steps, {"keys": "possibly exposed"}, {"keys": "regenerated"}, "regenerate Key1 then Key2")


REMEDIATION = Remediation(
    ID, "Regenerate an AI account's keys", TYPES, ("Microsoft.CognitiveServices/accounts/regenerateKey/action",), plan
)
