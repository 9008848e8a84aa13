"""Regenerates an AI account's Key1 then Key2 (`POST …/accounts/{a}/regenerateKey {"keyName": …}`,
Cognitive Services 2025-09-01). The keys Azure returns are never kept: the writer discards response
bodies of key actions, and nothing here logs or stores them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan, Step
from driftguard.rules.base import is_true
from remediations.base import COGNITIVE_ACCOUNT, CannotPlan, PlanContext, Remediation, canonical_id, get_path

ID = "cognitiveservices_account_regenerate_keys"


def key_steps(resource: Mapping[str, Any]) -> tuple[Step, ...]:
    """The two regenerations, in order; also the first steps of the fix that disables local auth."""
    rid = canonical_id(resource)
    return tuple(Step("POST", f"{rid}/regenerateKey", api_versions.COGNITIVE_SERVICES, {"keyName": name}) for name in ("Key1", "Key2"))


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    if is_true(get_path(resource, "properties.disableLocalAuth")):
        # Azure refuses key operations once local auth is off; the keys are unusable meanwhile, and the
        # local-auth fix regenerates them before it is ever turned off again.
        raise CannotPlan("local auth is disabled: Azure refuses key operations, and the keys are unusable while it stays off")
    return Plan(
        ID,
        canonical_id(resource),
        key_steps(resource),
        {"keys": "possibly exposed"},
        {"keys": "regenerated"},
        "regenerate Key1 then Key2" + gateways_cut_off(context),
    )


def gateways_cut_off(context: PlanContext) -> str:
    """What the approver must know of the gateways in front of the account that call it with its key."""
    names = [str(n) for n in context.extra.get("key_gateways") or ()]
    if not names:
        return ""
    return "; the gateway {} sends the account's key (api-key) and gets 401 until its backend uses its managed identity".format(
        ", ".join(names)
    )


REMEDIATION = Remediation(
    ID,
    "Regenerate an AI account's keys",
    COGNITIVE_ACCOUNT,
    ("Microsoft.CognitiveServices/accounts/regenerateKey/action",),
    plan,
    touches="Invalidates the account's current keys: every app, notebook or connection still using them gets 401 until it is given a new key (or moved to Microsoft Entra ID), an AI gateway whose backend sends the key included (the plan's summary names it).",
)
