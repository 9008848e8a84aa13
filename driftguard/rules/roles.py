"""Pure helpers the access rules share: role definitions are judged by GUID (built-in) or by their
actions (custom), never by name, because Microsoft renames roles and keeps the GUIDs."""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from driftguard.ids import normalize_guid
from driftguard.policy import ScopeLevel
from driftguard.rules.base import prop, prop_list

ROLE_DEFINITION = "roleDefinition"
PRINCIPAL = "principal"
ACTIVITY = "activity"
ELIGIBILITY = "eligibility"

PRIVILEGED: dict[str, str] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
    "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68": "Cognitive Services Contributor",
    "e47c6f54-e4a2-4754-9501-8e0985b135e1": "Azure AI Account Owner",
    "b78c5d69-af96-48a3-bf8d-a8b4d589de94": "Azure AI Administrator",
}
# Actions that make a custom role dangerous at AI scopes: keys bypass RBAC.
KEY_ACTIONS = (
    "Microsoft.CognitiveServices/accounts/listKeys/action",
    "Microsoft.CognitiveServices/accounts/regenerateKey/action",
    "Microsoft.Search/searchServices/listAdminKeys/action",
)


def instant(value: object) -> datetime | None:
    """An ARM timestamp (createdOn, an activity time), or None where there is none or it is unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def role_guid(definition_id: Any) -> str | None:
    """The GUID at the end of a role definition id (any scope prefix)."""
    return _role_guid(str(definition_id or ""))


@functools.lru_cache(maxsize=4096)
def _role_guid(definition_id: str) -> str | None:
    # A tenant has a few hundred role definitions and every rule asks for each assignment's: parse once.
    return normalize_guid(definition_id.rstrip("/").rsplit("/", 1)[-1])


def permissions(definition: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(actions, dataActions) a definition grants, `notActions` removed where they match exactly."""
    actions: list[str] = []
    data: list[str] = []
    for perm in prop_list(definition, "properties", "permissions"):
        not_actions = {str(a).lower() for a in prop_list(perm, "notActions")}
        actions += [str(a) for a in prop_list(perm, "actions") if str(a).lower() not in not_actions]
        data += prop_list(perm, "dataActions")
    return actions, data


def grants(actions: list[str], wanted: str) -> bool:
    """Whether `actions` (with ARM wildcards) include the action `wanted`."""
    return any(fnmatch.fnmatchcase(wanted.lower(), a.lower()) for a in actions)


def is_custom(definition: Mapping[str, Any]) -> bool:
    return str(prop(definition, "properties", "type") or "").lower() == "customrole"


def privileged_reason(guid: str | None, definition: Mapping[str, Any] | None) -> str | None:
    """Why a role is privileged, or None: built-in roles by GUID, custom roles by what they grant."""
    if guid in PRIVILEGED:
        return PRIVILEGED[guid]  # by name: the GUID is in the finding's evidence
    if definition is not None and is_custom(definition):
        actions, _ = permissions(definition)
        name = prop(definition, "properties", "roleName")
        if "*" in actions:
            return f"custom role {name!r} grants every action (*)"
        if grants(actions, "Microsoft.Authorization/roleAssignments/write"):
            return f"custom role {name!r} can assign roles"
    return None


# Listed as control-plane actions, but called on the data plane: the Activity Log never records them.
DATA_PLANE_SERVED = ("microsoft.storage/storageaccounts/blobservices/generateuserdelegationkey/action",)


def shows_in_activity_log(definition: Mapping[str, Any]) -> bool:
    """Whether using the role can leave an Activity Log record: only control-plane writes, deletes and
    actions are recorded there, never reads (GETs) nor data-plane calls (an OpenAI completion, a search
    query, a blob read)."""
    actions, _ = permissions(definition)
    return any(not a.lower().endswith("/read") and a.lower() not in DATA_PLANE_SERVED for a in actions)


def is_data_role(definition: Mapping[str, Any] | None) -> bool:
    return definition is not None and bool(permissions(definition)[1])


def scope_level(scope: str) -> ScopeLevel:
    parts = [p.lower() for p in scope.strip("/").split("/")]
    if parts[:3] == ["providers", "microsoft.management", "managementgroups"] and len(parts) == 4:
        return ScopeLevel.MANAGEMENT_GROUP
    if len(parts) == 2 and parts[0] == "subscriptions":
        return ScopeLevel.SUBSCRIPTION
    if len(parts) == 4 and parts[2] == "resourcegroups":
        return ScopeLevel.RESOURCE_GROUP
    return ScopeLevel.RESOURCE


def level_words(scope: str) -> str:
    """Where an assignment applies, as a person reads it ("the resource group"): the scope's id is in
    the finding's evidence and beside the message in every report."""
    return "the " + scope_level(scope).value.replace("_", " ")


def scope_words(scope: str) -> str:
    """A scope named as a person reads it, short enough never to split in a message: "the resource
    group rg-ai-prod", "the resource oai-contoso-chat" (the whole id stays in the evidence)."""
    name = scope.rstrip("/").rsplit("/", 1)[-1]
    return f"{level_words(scope)} {name}" if name else level_words(scope)


def one(related: Mapping[str, tuple[Mapping[str, Any], ...]], kind: str) -> Mapping[str, Any] | None:
    items = related.get(kind) or ()
    return items[0] if items else None
