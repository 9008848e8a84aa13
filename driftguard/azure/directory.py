"""The directory (Microsoft Graph), with the same credential: which principals exist and of what kind
(`directoryObjects/getByIds`, 1,000 ids a call), and who is in each persona's groups (the groups'
`transitiveMembers`, paged): a few calls per review, not one per principal."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.core.pipeline import policies
from azure.core.rest import HttpRequest, HttpResponse

from driftguard.ids import normalize_guid
from driftguard.inventory import InventoryError

GRAPH = "https://graph.microsoft.com"
BATCH = 1000
KINDS = {"#microsoft.graph.user": "User", "#microsoft.graph.group": "Group", "#microsoft.graph.serviceprincipal": "ServicePrincipal"}


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    exists: bool
    kind: str | None = None
    display_name: str | None = None
    # How the Activity Log names the principal as `Caller`: a user by UPN or e-mail, a service principal
    # by its application (client) id; never by object id.
    user_principal_name: str | None = None
    mail: str | None = None
    app_id: str | None = None

    @property
    def label(self) -> str:
        """The principal as a person reads it: "Display Name (upn)", the name alone where there is no
        UPN (groups, service principals), "deleted principal <id>" when the directory no longer has it,
        the id when it has no name. Reports keep the id beside it (JSON, CSV, SARIF)."""
        if not self.exists:
            return f"deleted principal {self.id}"
        if not self.display_name:
            return self.id
        return f"{self.display_name} ({self.user_principal_name})" if self.user_principal_name else self.display_name

    @property
    def caller_names(self) -> frozenset[str]:
        """The `Caller` values (lower case) that are this principal's activity."""
        return frozenset(n.lower() for n in (self.user_principal_name, self.mail, self.app_id) if n)


def label(principal_id: str, principal: Principal | None) -> str:
    """`Principal.label`, or the id when the directory was not asked (or did not answer)."""
    return principal.label if principal is not None else principal_id


GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def named(text: str, people: Mapping[str, Principal]) -> str:
    """`text` with each principal id the directory named replaced by its label: a reason the engine
    wrote with ids (it reads no directory), for a person. Ids not in `people` stay."""
    return GUID.sub(lambda m: people[g].label if (g := m.group(0).lower()) in people else m.group(0), text)


class Directory:
    def __init__(self, credential: TokenCredential, *, endpoint: str = GRAPH, **client_options: Any) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._host = urlsplit(self._endpoint).netloc.lower()
        pipeline = [
            policies.HeadersPolicy(),
            policies.UserAgentPolicy(sdk_moniker="driftguard"),
            policies.RetryPolicy(),  # 429/5xx with Retry-After, as for ARM
            policies.BearerTokenCredentialPolicy(credential, f"{GRAPH}/.default"),
        ]
        self._client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(self._endpoint, policies=pipeline, **client_options)

    def principals(self, ids: Iterable[str]) -> dict[str, Principal]:
        """Every id asked about, with `exists=False` for the ones the directory no longer knows."""
        wanted = sorted({g for i in ids if (g := normalize_guid(i))})
        found: dict[str, Principal] = {}
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            body = {"ids": chunk, "types": ["user", "group", "servicePrincipal"]}
            for obj in self._send("POST", "/v1.0/directoryObjects/getByIds", body).get("value", []):
                pid = normalize_guid(str(obj.get("id", "")))
                if pid:
                    found[pid] = Principal(
                        pid,
                        True,
                        KINDS.get(str(obj.get("@odata.type", "")).lower()),
                        _text(obj.get("displayName")),
                        user_principal_name=_text(obj.get("userPrincipalName")),
                        mail=_text(obj.get("mail")),
                        app_id=_text(obj.get("appId")),
                    )
        return {pid: found.get(pid, Principal(pid, False)) for pid in wanted}

    def users(self, names: Iterable[str]) -> dict[str, Principal]:
        """Users by the name the Activity Log gives them as `Caller` (a UPN or e-mail), keyed by that
        name in lower case; a name the directory does not know is left out."""
        found: dict[str, Principal] = {}
        for name in sorted({n.strip().lower() for n in names if "@" in n}):
            try:
                obj = self._send("GET", f"/v1.0/users/{quote(name, safe='@')}?$select=id,displayName,userPrincipalName,mail", None)
            except InventoryError:
                continue  # not a user it knows (404), or unreadable: the name stays as the log wrote it
            pid = normalize_guid(str(obj.get("id", "")))
            if pid:
                found[name] = Principal(
                    pid,
                    True,
                    "user",
                    _text(obj.get("displayName")),
                    user_principal_name=_text(obj.get("userPrincipalName")),
                    mail=_text(obj.get("mail")),
                )
        return found

    def members(self, group_ids: Sequence[str]) -> dict[str, frozenset[str]]:
        """principal id -> the persona groups it belongs to (transitively)."""
        memberships: dict[str, set[str]] = {}
        for group in {g for i in group_ids if (g := normalize_guid(i))}:
            page: Mapping[str, Any] = self._send("GET", f"/v1.0/groups/{group}/transitiveMembers?$select=id&$top=999", None)
            while True:
                for obj in page.get("value", []):
                    if pid := normalize_guid(str(obj.get("id", ""))):
                        memberships.setdefault(pid, set()).add(group)
                link = page.get("@odata.nextLink")
                if not link:
                    break
                parts = urlsplit(str(link))
                if parts.scheme != "https" or parts.netloc.lower() != self._host:
                    raise InventoryError(f"Graph paged to {parts.netloc!r}, not {self._host}: not following it")
                page = self._send("GET", f"{parts.path}?{parts.query}", None)
        return {pid: frozenset(groups) for pid, groups in memberships.items()}

    def _send(self, method: str, path: str, body: Mapping[str, Any] | None) -> Mapping[str, Any]:
        try:
            response = self._client.send_request(HttpRequest(method, f"{self._endpoint}{path}", json=body))
        except AzureError as e:
            raise InventoryError(f"Microsoft Graph unreachable: {e.message or e}") from e
        if response.status_code >= 400:
            raise InventoryError(f"Microsoft Graph {method} {path.split('?', maxsplit=1)[0]}: HTTP {response.status_code}")
        result: Mapping[str, Any] = response.json()
        return result

    def close(self) -> None:
        self._client.close()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
