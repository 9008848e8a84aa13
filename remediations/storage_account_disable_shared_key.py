"""Disallows shared key access on a storage account that holds AI data (Entra ID only)."""

from remediations.base import STORAGE, STORAGE_WRITE, constant_patch

REMEDIATION = constant_patch(
    remediation_id="storage_account_disable_shared_key",
    title="Disallow shared key access",
    resource_types=STORAGE,
    actions=STORAGE_WRITE,
    changes={"properties.allowSharedKeyAccess": False},
    summary="disallow shared key access",
    touches="Requests signed with the account key, and SAS tokens signed with it, are refused: apps, connection strings and tools that use keys or account SAS must move to Microsoft Entra ID.",
)
