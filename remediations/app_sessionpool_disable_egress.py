"""Disables outbound network access on a Container Apps session pool: a PATCH (JSON merge patch, as
azure-mgmt-appcontainers 5.1 sends `begin_update`) of `sessionNetworkConfiguration.status` alone. The
service may answer 202 and finish the update later; the writer's read-back waits for it."""

from remediations.base import SESSION_POOL, SESSION_POOL_WRITE, constant_patch

REMEDIATION = constant_patch(
    remediation_id="app_sessionpool_disable_egress",
    title="Disable outbound network access on a session pool",
    resource_types=SESSION_POOL,
    actions=SESSION_POOL_WRITE,
    changes={"properties.sessionNetworkConfiguration.status": "EgressDisabled"},
    summary="disable outbound network access from the pool's sessions",
    touches="Code running in the pool's sessions can no longer reach the internet: an agent tool that downloads packages or calls an outside API from a session fails.",
)
