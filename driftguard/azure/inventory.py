"""The live inventory: a Resource Graph sweep, plus what Resource Graph does not index, read through ARM
with --deep: per account its RAI policies, deployments and Defender for AI setting; per AI gateway (API
Management service) its backends and named values; per AI resource its diagnostic settings; per gateway
its identity's role assignments."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from driftguard.azure import api_versions
from driftguard.azure.arm import ArmReader, fan_out, parse_id
from driftguard.azure.connection import ArmConnection, RawArm
from driftguard.azure.pacing import PacingPolicy, ReadPacer
from driftguard.azure.resource_graph import ResourceGraph, Scope, load_query
from driftguard.azure.role_definitions import RoleDefinitions
from driftguard.azure.writes import ArmWriter, WriteError
from driftguard.ids import InvalidResourceId, fold, identity_principals, parse_resource_id
from driftguard.inventory import InventoryError
from driftguard.model import Source
from driftguard.rules.gateway import BACKEND, GATEWAY_ROLE_ASSIGNMENTS, GATEWAY_ROLE_DEFINITIONS, NAMED_VALUE, PRIVATE_ENDPOINTS, SERVICE

ACCOUNT = "microsoft.cognitiveservices/accounts"
RAI_POLICY = "microsoft.cognitiveservices/accounts/raipolicies"
DEPLOYMENT = "microsoft.cognitiveservices/accounts/deployments"
DEFENDER_SETTING = "microsoft.cognitiveservices/accounts/defenderforaisettings"
# Judged by rules, listed per account over ARM: Resource Graph's `resources` table does not index them.
PER_ACCOUNT = frozenset({RAI_POLICY, DEPLOYMENT, DEFENDER_SETTING})
# An API Management service's backends and named values: child resources, listed per service over ARM.
PER_GATEWAY = frozenset({BACKEND, NAMED_VALUE})
# Judged by rules but not in the `resources` table (pricings are in `securityresources`: ai_pricing.kql).
NOT_IN_GRAPH = PER_ACCOUNT | PER_GATEWAY | {"microsoft.security/pricings"}
UNLISTED = "not in Resource Graph: run with --deep to list them per account"
UNLISTED_GATEWAY = "not in Resource Graph: run with --deep to list them per API Management service"


def inventory_query(rule_types: frozenset[str]) -> str:
    types = ", ".join(f"'{t}'" for t in sorted(rule_types - NOT_IN_GRAPH))
    return load_query("ai_inventory", types=types)


class LiveInventory:
    """Streams the estate from Resource Graph. With `deep`, also reads through ARM what Resource Graph
    does not index: per account three reads (RAI policies, deployments, Defender for AI setting), and
    per AI resource its diagnostic settings, paced to stay inside ARM's read budget. So a sweep can
    run shallow often and deep on a slower schedule; a shallow one names what it did not read."""

    def __init__(
        self,
        connection: ArmConnection,
        scope: Scope,
        *,
        rule_types: frozenset[str],
        deep: bool,
        source: Source = Source.LIVE,
        pacer: ReadPacer | None = None,
    ) -> None:
        self.source = source
        self.scope = scope
        self.deep = deep
        # A deep inventory lists every account's RAI policies: a deployment naming one that never came
        # is a finding, not a gap in the data.
        # Per account, only what some rule judges is read.
        self._per_account = PER_ACCOUNT & rule_types if deep else frozenset()
        self.rai_policies_loaded = RAI_POLICY in self._per_account
        self._per_gateway = PER_GATEWAY & rule_types if deep else frozenset()
        self.unlisted: Mapping[str, str] = {
            **dict.fromkeys(sorted(PER_ACCOUNT & rule_types - self._per_account), UNLISTED),
            **dict.fromkeys(sorted(PER_GATEWAY & rule_types - self._per_gateway), UNLISTED_GATEWAY),
        }
        pacer = pacer or ReadPacer()
        self._raw = RawArm(connection, per_retry_policies=[PacingPolicy(pacer)])
        self.graph = ResourceGraph(self._raw)
        self.arm = ArmReader(connection, self._raw, pacer=pacer)
        # The one ARM list reader (nextLink paging, ARM host checked before the token follows a link).
        self._lists = ArmWriter(self._raw, connection.endpoint)
        # One cache of role definitions for the whole sweep: gateways share roles (Reader, OpenAI User).
        self._definitions = RoleDefinitions(self._lists.read)
        self._query = inventory_query(rule_types)

    def resources(self) -> Iterator[Mapping[str, Any]]:
        accounts: list[str] = []
        gateways: list[str] = []
        for row in self.graph.query(self._query, self.scope):
            rtype = str(row.get("type", "")).lower()
            if self._per_account and rtype == ACCOUNT:
                accounts.append(str(row["id"]))
            elif self._per_gateway and rtype == SERVICE:
                gateways.append(str(row["id"]))
            yield row
        yield from self.graph.query(load_query("ai_pricing"), self.scope)
        for _account, children in fan_out(self._account_children, accounts):
            yield from children
        for _gateway, children in fan_out(self._gateway_children, gateways):
            yield from children

    def _gateway_children(self, service_id: str) -> list[Mapping[str, Any]]:
        """An API Management service's backends and named values (a secret one without its value)."""
        service = str(parse_id(service_id)[2])
        lists = [child for t, child in ((BACKEND, "backends"), (NAMED_VALUE, "namedValues")) if t in self._per_gateway]
        found: list[Mapping[str, Any]] = []
        try:
            for child in lists:
                found.extend(self._lists.read_list(f"{service}/{child}", api_versions.API_MANAGEMENT))
        except WriteError as e:
            raise InventoryError(f"listing the {' and '.join(lists)} of {service_id} failed: {e}") from e
        return found

    def _gateway_role_assignments(self, service_id: str, elsewhere: Sequence[str] = ()) -> list[Mapping[str, Any]]:
        """The role assignments of a gateway's managed identities (system- and user-assigned), in its own
        subscription, `elsewhere` (those of the accounts it fronts) and the swept ones: `principalId eq`
        lists them at, above and below each."""
        sub, _, parsed = parse_id(service_id)
        try:
            service = self._lists.read(str(parsed), api_versions.API_MANAGEMENT)
            principals = sorted(identity_principals(service or {}))
            subscriptions = dict.fromkeys([sub.lower(), *(s.lower() for s in elsewhere), *(s.lower() for s in self.scope.subscriptions)])
            found: dict[str, Mapping[str, Any]] = {}
            for principal in principals:
                for subscription in subscriptions:
                    for assignment in self._lists.read_list(
                        f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments",
                        api_versions.AUTHORIZATION,
                        params={"$filter": f"principalId eq '{principal}'"},
                    ):
                        found[fold(str(assignment.get("id", "")))] = assignment
        except WriteError as e:
            raise InventoryError(f"reading the role assignments of {service_id}'s identity failed: {e}") from e
        return list(found.values())

    def _private_endpoint(self, endpoint_id: str) -> list[Mapping[str, Any]]:
        """A private endpoint an account's approved connection names (`properties.subnet.id`); none when it
        is gone or cannot be read (the gateway-only rule then says "not evaluated" for it)."""
        try:
            parsed = parse_resource_id(endpoint_id)
            if parsed.full_type.lower() != "microsoft.network/privateendpoints":
                return []
            found = self._lists.read(str(parsed), api_versions.NETWORK)
        except (InvalidResourceId, WriteError):
            return []
        return [found] if found is not None else []

    def _role_definition(self, definition_id: str) -> list[Mapping[str, Any]]:
        """The role definition an assignment names, read where it says it is; none when it cannot be read
        (the rule reports the assignment as not evaluated, never as fine)."""
        try:
            found = self._definitions.get(definition_id)
        except WriteError:
            return []
        return [found] if found is not None else []

    def _account_children(self, account_id: str) -> list[Mapping[str, Any]]:
        """RAI policies first, so that each deployment meets its policy already read (the engine judges
        it at once instead of holding it back), then deployments, then the Defender for AI setting."""
        account = str(parse_id(account_id)[2])  # the id came from Resource Graph; the path is rebuilt from its parts
        lists = [(t, child) for t, child in ((RAI_POLICY, "raiPolicies"), (DEPLOYMENT, "deployments")) if t in self._per_account]
        found: list[Mapping[str, Any]] = []
        try:
            for _type, child in lists:
                found.extend(self._lists.read_list(f"{account}/{child}", api_versions.COGNITIVE_SERVICES))
        except WriteError as e:
            raise InventoryError(f"listing the {' and '.join(c for _, c in lists)} of {account_id} failed: {e}") from e
        setting = self.arm.defender_for_ai_setting(account_id) if DEFENDER_SETTING in self._per_account else None
        return [*found, setting] if setting is not None else found

    def related(
        self, kind: str, resource_ids: Sequence[str], *, subscriptions: Mapping[str, Sequence[str]] | None = None
    ) -> Mapping[str, list[Mapping[str, Any]]] | None:
        if not self.deep:
            return None
        if kind == GATEWAY_ROLE_ASSIGNMENTS:
            extra = subscriptions or {}
            return {
                fold(rid): found
                for rid, found in fan_out(lambda rid: self._gateway_role_assignments(rid, extra.get(fold(rid), ())), resource_ids)
            }
        if kind == PRIVATE_ENDPOINTS:
            return {fold(rid): found for rid, found in fan_out(self._private_endpoint, resource_ids)}
        if kind == GATEWAY_ROLE_DEFINITIONS:
            return {fold(rid): found for rid, found in fan_out(self._role_definition, resource_ids)}
        if kind != "diagnosticSettings":
            return None
        return self.arm.diagnostic_settings(resource_ids)

    def close(self) -> None:
        self.arm.close()
        self._raw.close()
