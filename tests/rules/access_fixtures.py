"""Role assignments and definitions shaped like ARM's, with the related data the review joins."""

from __future__ import annotations

from typing import Any

from simulator.roles import role_assignment, role_definition

SUB = "11111111-1111-4111-8111-111111111111"
ACCOUNT = f"/subscriptions/{SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
AI_DEVELOPER = "64702f94-c441-49e6-a78b-ef80e0188fee"
USER = "aaaa0000-0000-4000-8000-000000000001"
DEV_GROUP = "bbbb0000-0000-4000-8000-000000000002"
ADMIN_GROUP = "cccc0000-0000-4000-8000-000000000003"


def assignment(
    role: str, *, scope: str = ACCOUNT, principal: str = USER, principal_type: str = "User", created: str = "2025-01-01T00:00:00Z"
) -> dict[str, Any]:
    return role_assignment(
        scope, "0f6b0c1e-0000-4a00-8000-00000000abcd", role, principal, principal_type=principal_type, created_on=created, sub=SUB
    )


def definition(role: str) -> dict[str, Any]:
    return role_definition(role)


def custom(name: str, actions: list[str], data_actions: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/dddd0000-0000-4000-8000-000000000004",
        "name": "dddd0000-0000-4000-8000-000000000004",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "CustomRole",
            "assignableScopes": [f"/subscriptions/{SUB}"],
            "permissions": [{"actions": actions, "notActions": [], "dataActions": data_actions or [], "notDataActions": []}],
        },
    }
