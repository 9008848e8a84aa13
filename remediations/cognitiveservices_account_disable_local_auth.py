"""Disables key (local) authentication on an AI account. The keys that existed while it was on are
treated as exposed, and Azure refuses key operations once it is off: so the plan regenerates Key1 and
Key2 first, then PATCHes `disableLocalAuth` (the writer sends the steps in this order)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from driftguard.model import Plan
from remediations.base import COGNITIVE_ACCOUNT, COGNITIVE_WRITE, PlanContext, Remediation, patch_plan
from remediations.cognitiveservices_account_regenerate_keys import REMEDIATION as REGENERATE
from remediations.cognitiveservices_account_regenerate_keys import gateways_cut_off, key_steps

ID = "cognitiveservices_account_disable_local_auth"
CHANGES = {"properties.disableLocalAuth": True}


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    disable = patch_plan(ID, resource, CHANGES, "disable key authentication")
    if disable is None:
        return None  # already off: nothing to disable, and Azure would refuse the key regeneration
    return replace(
        disable,
        steps=(*key_steps(resource), *disable.steps),
        summary="regenerate Key1 and Key2, then disable key authentication" + gateways_cut_off(context),
    )


REMEDIATION = Remediation(
    ID,
    "Disable key (local) authentication on an AI account",
    COGNITIVE_ACCOUNT,
    (*COGNITIVE_WRITE, *REGENERATE.actions),
    plan,
    touches="Regenerates Key1 and Key2, then turns key authentication off: every client calling the account with an API key (apps, notebooks, SDK samples, other services' connections) gets 401 until it signs in with Microsoft Entra ID, an AI gateway whose backend sends the key included (the plan's summary names it).",
)
