"""Turns public network access off on a storage account that holds AI data."""

from remediations.base import STORAGE, STORAGE_WRITE, constant_patch

REMEDIATION = constant_patch(
    remediation_id="storage_account_disable_public_network_access",
    title="Disable public network access on a storage account",
    resource_types=STORAGE,
    actions=STORAGE_WRITE,
    changes={"properties.publicNetworkAccess": "Disabled"},
    summary="disable public network access",
    touches="Callers from the internet and from networks without a private endpoint to the account are cut off, the AI services that read data from it over public endpoints included.",
)
