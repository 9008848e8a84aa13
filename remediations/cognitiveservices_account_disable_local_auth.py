"""Disables key authentication on an AI account. The keys that existed while it was on are treated as
exposed: the engine chains `cognitiveservices_account_regenerate_keys` after this fix."""

from remediations.base import COGNITIVE_ACCOUNT, COGNITIVE_WRITE, constant_patch

REMEDIATION = constant_patch(
    remediation_id="cognitiveservices_account_disable_local_auth",
    title="Disable key (local) authentication on an AI account",
    resource_types=COGNITIVE_ACCOUNT,
    actions=COGNITIVE_WRITE,
    changes={"properties.disableLocalAuth": True},
    summary="disable key authentication",
)
