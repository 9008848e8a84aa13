"""Built-in role definitions with their real GUIDs (CONTROLS.md), and role assignment builders."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

# guid: (roleName, actions, notActions, dataActions)
BUILT_IN: dict[str, tuple[str, list[str], list[str], list[str]]] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", ["*"], [], []),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": (
        "Contributor",
        ["*"],
        ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action"],
        [],
    ),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": ("Reader", ["*/read"], [], []),
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": (
        "User Access Administrator",
        ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
        [],
        [],
    ),
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": (
        "Role Based Access Control Administrator",
        [
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/delete",
            "*/read",
            "Microsoft.Support/*",
        ],
        [],
        [],
    ),
    "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68": (
        "Cognitive Services Contributor",
        [
            "Microsoft.Authorization/*/read",
            "Microsoft.CognitiveServices/*",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
        ],
        [],
        [],
    ),
    "e47c6f54-e4a2-4754-9501-8e0985b135e1": (
        "Azure AI Account Owner",
        [
            "Microsoft.CognitiveServices/*",
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/delete",
        ],
        [],
        [],
    ),
    "b78c5d69-af96-48a3-bf8d-a8b4d589de94": (
        "Azure AI Administrator",
        ["Microsoft.CognitiveServices/*", "Microsoft.MachineLearningServices/workspaces/*", "Microsoft.Authorization/*/read"],
        [],
        [],
    ),
    "f6c7c914-8db3-469d-8ca1-694a8f32e121": (
        "AzureML Data Scientist",
        [
            "Microsoft.MachineLearningServices/workspaces/*/read",
            "Microsoft.MachineLearningServices/workspaces/*/action",
            "Microsoft.MachineLearningServices/workspaces/*/write",
        ],
        ["Microsoft.MachineLearningServices/workspaces/write", "Microsoft.MachineLearningServices/workspaces/listKeys/action"],
        [],
    ),
    "53ca6127-db72-4b80-b1b0-d745d6d5456d": (
        "Azure AI User",
        ["Microsoft.CognitiveServices/*/read", "Microsoft.CognitiveServices/accounts/listkeys/action", "Microsoft.Authorization/*/read"],
        [],
        ["Microsoft.CognitiveServices/*"],
    ),
    "64702f94-c441-49e6-a78b-ef80e0188fee": (
        "Azure AI Developer",
        [
            "Microsoft.MachineLearningServices/workspaces/*/read",
            "Microsoft.MachineLearningServices/workspaces/*/action",
            "Microsoft.CognitiveServices/*/read",
        ],
        ["Microsoft.MachineLearningServices/workspaces/delete", "Microsoft.MachineLearningServices/workspaces/write"],
        ["Microsoft.CognitiveServices/accounts/OpenAI/*"],
    ),
    "a001fd3d-188f-4b5d-821b-7da978bf7442": (
        "Cognitive Services OpenAI Contributor",
        [
            "Microsoft.CognitiveServices/*/read",
            "Microsoft.CognitiveServices/accounts/deployments/write",
            "Microsoft.CognitiveServices/accounts/deployments/delete",
            "Microsoft.CognitiveServices/accounts/raiPolicies/read",
            "Microsoft.CognitiveServices/accounts/raiPolicies/write",
        ],
        [],
        ["Microsoft.CognitiveServices/accounts/OpenAI/*"],
    ),
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": (
        "Cognitive Services OpenAI User",
        ["Microsoft.CognitiveServices/*/read"],
        [],
        [
            "Microsoft.CognitiveServices/accounts/OpenAI/*/read",
            "Microsoft.CognitiveServices/accounts/OpenAI/engines/completions/action",
            "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action",
        ],
    ),
    "a97b65f3-24c7-4388-baec-2e87135dc908": (
        "Cognitive Services User",
        ["Microsoft.CognitiveServices/*/read", "Microsoft.CognitiveServices/accounts/listkeys/action"],
        [],
        ["Microsoft.CognitiveServices/*"],
    ),
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": (
        "Storage Blob Data Contributor",
        ["Microsoft.Storage/storageAccounts/blobServices/containers/*"],
        [],
        ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
    ),
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": (
        "Storage Blob Data Reader",
        ["Microsoft.Storage/storageAccounts/blobServices/containers/read"],
        [],
        ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
    ),
    "8ebe5a00-799e-43f5-93ac-243d3dce84a7": ("Search Index Data Contributor", [], [], ["Microsoft.Search/searchServices/indexes/*"]),
    "1407120a-92aa-4202-b7e9-c0e197c71c8f": (
        "Search Index Data Reader",
        [],
        [],
        ["Microsoft.Search/searchServices/indexes/documents/read"],
    ),
}


def role_definition(guid: str) -> JSON:
    name, actions, not_actions, data_actions = BUILT_IN[guid]
    return {
        "id": f"/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "name": guid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": f"Built-in role {name}.",
            "assignableScopes": ["/"],
            "permissions": [{"actions": actions, "notActions": not_actions, "dataActions": data_actions, "notDataActions": []}],
            "createdOn": "2015-02-02T21:55:09.8806423Z",
            "updatedOn": "2025-01-15T10:00:00.0000000Z",
            "createdBy": None,
            "updatedBy": None,
        },
    }


# Who made the sample's role assignments (ARM records the creator's object id as `createdBy`).
GRANTER = "0c8a1b2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"


def role_assignment(
    scope: str,
    name: str,
    role_guid: str,
    principal_id: str,
    *,
    principal_type: str = "User",
    created_on: str = "2025-06-01T10:00:00.0000000Z",
    sub: str | None = None,
) -> JSON:
    sub = sub or scope.strip("/").split("/")[1]
    return {
        "id": f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}",
            "principalId": principal_id,
            "principalType": principal_type,
            "scope": scope,
            "condition": None,
            "conditionVersion": None,
            "createdOn": created_on,
            "updatedOn": created_on,
            "createdBy": GRANTER,
            "updatedBy": GRANTER,
            "delegatedManagedIdentityResourceId": None,
            "description": None,
        },
    }
