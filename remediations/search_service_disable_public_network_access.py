"""Turns public network access off on a Search service (the service writes the enum in lower case)."""

from remediations.base import SEARCH, SEARCH_WRITE, constant_patch

REMEDIATION = constant_patch(
    remediation_id="search_service_disable_public_network_access",
    title="Disable public network access on a Search service",
    resource_types=SEARCH,
    actions=SEARCH_WRITE,
    changes={"properties.publicNetworkAccess": "disabled"},
    summary="disable public network access",
)
