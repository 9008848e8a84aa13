"""The simulated directory: users, groups and service principals, with group membership, served as
Microsoft Graph's `directoryObjects/getByIds` and `groups/{id}/transitiveMembers` answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ODATA = {"User": "#microsoft.graph.user", "Group": "#microsoft.graph.group", "ServicePrincipal": "#microsoft.graph.servicePrincipal"}
PAGE = 999


@dataclass
class Directory:
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)  # group id -> direct member ids

    def add(self, object_id: str, kind: str, name: str, *, groups: tuple[str, ...] = ()) -> None:
        self.objects[object_id.lower()] = {"@odata.type": ODATA[kind], "id": object_id, "displayName": name}
        for g in groups:
            self.members.setdefault(g.lower(), set()).add(object_id.lower())

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
