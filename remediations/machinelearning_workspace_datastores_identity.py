"""Switches a workspace's system datastores to identity-based access."""

from remediations.base import WORKSPACE, WORKSPACE_WRITE, constant_patch

REMEDIATION = constant_patch(
    remediation_id="machinelearning_workspace_datastores_identity",
    title="Use identity-based access for a workspace's system datastores",
    resource_types=WORKSPACE,
    actions=WORKSPACE_WRITE,
    changes={"properties.systemDatastoresAuthMode": "Identity"},
    summary="authenticate system datastores with the workspace identity",
    touches="The system datastores are reached with the workspace's managed identity instead of the storage key: jobs, notebooks and pipelines need the identity (or the user) to hold data roles on the storage account.",
)
