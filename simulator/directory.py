"""The simulated directory: users, groups and service principals, with group membership, served as
Microsoft Graph's `directoryObjects/getByIds` and `groups/{id}/transitiveMembers` answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

ODATA = {"User": "#microsoft.graph.user", "Group": "#microsoft.graph.group", "ServicePrincipal": "#microsoft.graph.servicePrincipal"}
PAGE = 999


@dataclass
class Directory:
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)  # group id -> direct member ids

    def add(
        self, object_id: str, kind: str, name: str, *, groups: tuple[str, ...] = (), upn: str | None = None, app_id: str | None = None
    ) -> None:
        obj: dict[str, Any] = {"@odata.type": ODATA[kind], "id": object_id, "displayName": name}
        # Graph gives users a UPN and service principals their application's id, as getByIds returns them.
        if kind == "User":
            obj["userPrincipalName"] = upn or f"{name}@contoso.onmicrosoft.com"
        elif kind == "ServicePrincipal":
            obj["appId"] = app_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"app:{object_id.lower()}"))
        self.objects[object_id.lower()] = obj
        for g in groups:
            self.members.setdefault(g.lower(), set()).add(object_id.lower())

    def caller(self, object_id: str, app_id: str) -> str:
        """What the Activity Log writes as `Caller` for a request by this principal: a user's UPN, a
        service principal's app id; the token's app id for a principal the directory does not know."""
        obj = self.objects.get(object_id.lower(), {})
        return str(obj.get("userPrincipalName") or obj.get("appId") or app_id)

    def by_ids(self, ids: list[str]) -> list[dict[str, Any]]:
        return [self.objects[i.lower()] for i in ids if i.lower() in self.objects]

    def transitive(self, group: str) -> list[str]:
        seen: set[str] = set()
        todo = [group.lower()]
        while todo:
            for member in self.members.get(todo.pop(), set()):
                if member not in seen:
                    seen.add(member)
                    todo.append(member)  # nested groups
        return sorted(seen)
