"""Disables API keys on a Search service; `authOptions` must be null when local auth is off."""

from remediations.base import SEARCH, SEARCH_WRITE, constant_patch

REMEDIATION = constant_patch(
    remediation_id="search_service_disable_local_auth",
    title="Disable API key authentication on a Search service",
    resource_types=SEARCH,
    actions=SEARCH_WRITE,
    changes={"properties.disableLocalAuth": True, "properties.authOptions": None},
    summary="disable API key authentication",
)
