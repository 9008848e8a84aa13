"""Disallows anonymous blob access on a storage account that holds AI data."""

from remediations.base import STORAGE, STORAGE_WRITE, constant_patch

REMEDIATION = constant_patch(
    remediation_id="storage_account_disable_blob_public_access",
    title="Disallow anonymous blob access",
    resource_types=STORAGE,
    actions=STORAGE_WRITE,
    changes={"properties.allowBlobPublicAccess": False},
    summary="disallow anonymous blob access",
    touches="Anonymous reads of blobs stop: anyone fetching public containers' blobs by URL without credentials gets 403 (links in apps, pages or datasets).",
)
