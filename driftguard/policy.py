"""The policy file and the app settings, each validated once at start-up.

An unknown key or a bad value stops the program with a message that names it: a typo in a security
setting must never silently fall back to a default.
"""

from __future__ import annotations

import fnmatch
import json
import os
import tomllib
import unicodedata
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from driftguard.destinations import RefusedDestination, check_destination, check_url, parse_private_host
from driftguard.ids import InvalidResourceId, fold, normalize_guid, parse_resource_id
from driftguard.model import Mode
from driftguard.nesting import TooDeep, parse
from driftguard.textin import decode


class ConfigError(ValueError):
    """A setting or a policy value is wrong; the message names it. `errors` holds every error, one line
    each, when there are several (`policy validate` prints them all; start-up stops on the first)."""

    def __init__(self, message: str, *, errors: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors or (message,)


def parse_guid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as e:
        raise ValueError(f"{value!r} is not a GUID") from e


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApprovedModel(_Strict):
    format: str
    name: str
    # None approves every version of the model.
    version: str | None = None


class ModeOverride(_Strict):
    """Mode of one rule below one scope (a subscription, resource group or resource id prefix)."""

    rule: str
    scope: str
    mode: Mode


class NetworkPolicy(_Strict):
    # The widest IPv4 prefix an IP rule may use: 16 means a /16 passes and a /15 fails.
    max_ip_prefix: Annotated[int, Field(ge=0, le=32)] = 16
    # When non-empty, every IP rule must fall inside one of these ranges.
    approved_ip_ranges: tuple[str, ...] = ()
    # When non-empty, every virtual network rule must use a subnet of one of these VNets (ids).
    approved_vnets: tuple[str, ...] = ()
    # The `bypass` value that networkAcls should keep (None: any value).
    bypass: str | None = "AzureServices"
    # Outbound FQDNs AI accounts may call when outbound access is restricted.
    approved_fqdns: tuple[str, ...] = ()
    # Private endpoints may live only in these tenants / subscriptions (empty: the scanned ones).
    private_endpoint_tenants: tuple[str, ...] = ()
    private_endpoint_subscriptions: tuple[str, ...] = ()
    # Machine Learning workspaces may use AllowInternetOutbound instead of AllowOnlyApprovedOutbound.
    ml_allow_internet_outbound: bool = False

    @field_validator("approved_ip_ranges")
    @classmethod
    def _ranges(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as e:
                raise ValueError(f"{item!r} is not an IP range") from e
        return value


class ContentFilterPolicy(_Strict):
    # The weakest acceptable severity threshold for the harm filters: "Low" blocks most,
    # "High" blocks least. A filter set to block only at a weaker level fails.
    harm_threshold: str = "Medium"
    # Names of RAI policies that are acceptable whatever their content (for example a reviewed
    # custom policy managed elsewhere).
    trusted_policies: tuple[str, ...] = ()

    @field_validator("harm_threshold")
    @classmethod
    def _threshold(cls, value: str) -> str:
        if value.lower() not in ("low", "medium", "high"):
            raise ValueError(f"{value!r} is not one of Low, Medium, High")
        return value


class ModelPolicy(_Strict):
    # Empty means "no catalog configured": the approved-model rule reports "not evaluable" (it still
    # checks pinning).
    approved: tuple[ApprovedModel, ...] = ()
    require_version_pinning: bool = False


class DataPolicy(_Strict):
    # Storage accounts carrying this tag (any value but "false") hold AI data even when no AI resource
    # names them.
    ai_data_tag: str = "driftguard-ai-data"
    # Resources whose classification tag has one of these values must use customer-managed keys.
    classification_tag: str = "data-classification"
    cmk_classifications: tuple[str, ...] = ("confidential", "highly-confidential", "restricted")


class KeyPolicy(_Strict):
    # Object ids or app ids allowed to list or regenerate keys (for example a key-rotation pipeline).
    allowed_principals: tuple[str, ...] = ()


class MonitoringPolicy(_Strict):
    # Resource id of the Log Analytics workspace diagnostic logs must reach (None: any workspace).
    log_analytics_workspace_id: str | None = None


class SandboxPolicy(_Strict):
    """Code-execution sandboxes: Container Apps dynamic-session pools, where agents run code they wrote."""

    # Pools allowed to reach the internet (ids, or patterns with * matched as ARM compares ids); every
    # other pool must keep `sessionNetworkConfiguration.status` EgressDisabled.
    egress_allowed_pools: tuple[str, ...] = ()
    # Timed pools: the longest idle period before a session is deleted (the service allows 300-3600 s;
    # each request to a session restarts it).
    max_cooldown_seconds: Annotated[int, Field(ge=1)] = 600
    # OnContainerExit pools: the longest a session may live, whatever it does.
    max_alive_seconds: Annotated[int, Field(ge=1)] = 3600
    # The most a custom container may ask for (per container of the template).
    max_cpu_cores: Annotated[float, Field(gt=0)] = 2.0
    max_memory_gib: Annotated[float, Field(gt=0)] = 4.0

    def egress_allowed(self, resource_id: str) -> bool:
        return any(fnmatch.fnmatchcase(fold(resource_id), fold(p)) for p in self.egress_allowed_pools)


class ProbeKind(StrEnum):
    """The attacks a canary probe sends (see driftguard/canary.py for the built-in set)."""

    JAILBREAK = "jailbreak"  # a user prompt attack: Prompt Shields' jailbreak filter must block it
    INDIRECT_ATTACK = "indirect_attack"  # instructions hidden in a document: the indirect attack filter must block it


class ProbePolicy(_Strict):
    """Canary probes: known attacks sent to chat deployments to check that their filters block them.

    Off unless deployments are named here: a probe is a real, billed request to a model and shows in
    its owner's logs, so nothing is probed without this opt-in."""

    # Deployment ids, or patterns with * matched as ARM compares ids (.../accounts/*/deployments/gpt-4o).
    deployments: tuple[str, ...] = ()
    kinds: tuple[ProbeKind, ...] = (ProbeKind.JAILBREAK, ProbeKind.INDIRECT_ATTACK)
    # Daily budgets (UTC days), kept in the state store: reserved before a probe is sent, so that
    # restarts and several instances together never go past them.
    max_probes_per_deployment_per_day: Annotated[int, Field(ge=0, le=100)] = 4
    max_probes_per_day: Annotated[int, Field(ge=0, le=10_000)] = 100
    # Tokens billed (prompt and the one-token answer), counted as an upper bound per probe.
    max_tokens_per_day: Annotated[int, Field(ge=0, le=10_000_000)] = 20_000

    @field_validator("kinds")
    @classmethod
    def _distinct(cls, value: tuple[ProbeKind, ...]) -> tuple[ProbeKind, ...]:
        return tuple(dict.fromkeys(value))

    def opted_in(self, deployment_id: str) -> bool:
        key = fold(deployment_id)
        return "/deployments/" in key and any(fnmatch.fnmatchcase(key, fold(p)) for p in self.deployments)


# Data-plane user roles a gateway's identity may hold on the accounts it fronts: Cognitive Services
# OpenAI User calls the models and cannot list keys. Cognitive Services User is left out by default on
# purpose: it also lists the account's keys (`accounts/listkeys/action`), which makes it full access
# wherever local auth is on.
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"


class FrontedAccounts(_Strict):
    """One AI gateway (an API Management service) and the AI accounts that sit behind it."""

    gateway: str  # the API Management service's resource id
    accounts: tuple[str, ...]  # account ids, or patterns with * matched as ARM compares ids

    @field_validator("gateway")
    @classmethod
    def _service_id(cls, value: str) -> str:
        # The gateway is read by this id (its addresses, its identity): a typo must stop the app, not
        # leave every fronted account unjudgeable.
        try:
            parsed = parse_resource_id(value)
        except InvalidResourceId as e:
            raise ValueError(f"{value!r} is not a resource id: {e}") from e
        if parsed.full_type.lower() != "microsoft.apimanagement/service":
            raise ValueError(f"{value!r} is not an API Management service (Microsoft.ApiManagement/service)")
        return value

    def fronts(self, resource_id: str) -> bool:
        return any(fnmatch.fnmatchcase(fold(resource_id), fold(p)) for p in self.accounts)


class GatewayPolicy(_Strict):
    """AI gateways: which accounts take their traffic only through which gateway, how the gateway
    authenticates to them, and what its identity may hold on them."""

    fronted: tuple[FrontedAccounts, ...] = ()
    # Role definition GUIDs a gateway's identity may hold on the accounts it fronts (and nothing above them).
    allowed_roles: tuple[str, ...] = (OPENAI_USER,)
    # Named values whose name or display name matches one of these (* patterns, case-insensitive) are
    # taken for an AI account's key kept in the gateway. A secret's value is never returned by a read,
    # so the name is what can be judged.
    key_named_values: tuple[str, ...] = (
        "*openai*key*",
        "*oai*key*",
        "*cognitive*key*",
        "*aiservices*key*",
        "*ai-services*key*",
        "*foundry*key*",
    )

    @field_validator("allowed_roles")
    @classmethod
    def _guids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(parse_guid(v) for v in value)

    def gateway_of(self, account_id: str) -> str | None:
        """The gateway the policy puts in front of an account (the first entry that names it)."""
        return next((f.gateway for f in self.fronted if f.fronts(account_id)), None)

    def fronted_by(self, gateway_id: str) -> tuple[str, ...]:
        """The account patterns a gateway fronts."""
        return tuple(p for f in self.fronted if fold(f.gateway) == fold(gateway_id) for p in f.accounts)

    def subscriptions_of(self, gateway_id: str) -> tuple[str, ...]:
        """Where a gateway's identity can hold a role on or above the accounts it fronts: the gateway's own
        subscription and that of every fronted account (lower case, each once). A pattern whose
        subscription is itself a wildcard names none: a deep scan also lists the swept subscriptions."""
        found: list[str] = []
        for candidate in (gateway_id, *self.fronted_by(gateway_id)):
            parts = candidate.strip("/").split("/")
            # Only a subscription GUID (a wildcard is none): it goes into a request path.
            if len(parts) >= 2 and parts[0].lower() == "subscriptions" and (sub := normalize_guid(parts[1])) is not None:
                found.append(sub)
        return tuple(dict.fromkeys(found))

    def holds_account_key(self, *names: str) -> str | None:
        """The pattern a named value's name matches, if it looks like an account key."""
        for name in names:
            for pattern in self.key_named_values:
                if name and fnmatch.fnmatchcase(name.lower(), pattern.lower()):
                    return pattern
        return None


class Exemption(_Strict):
    """A documented exception. It lives in the policy file, never in resource tags, which the people
    being checked can edit. Past `expires_on` it is ignored and reported."""

    resource: str  # a resource id, or a pattern with * (fnmatch, case-insensitive)
    rules: tuple[str, ...]  # rule ids or patterns with * (fnmatch, as `--rule` takes them); ("*",) for every rule
    reason: str
    approver: str
    expires_on: date

    def covers(self, rule_id: str, resource_id: str) -> bool:
        rule_ok = any(fnmatch.fnmatchcase(rule_id, pattern.strip().lower()) for pattern in self.rules)
        return rule_ok and fnmatch.fnmatchcase(fold(resource_id), fold(self.resource))


class Limits(_Strict):
    # Automatic changes per subscription per hour; past it, one case for the batch.
    max_auto_changes_per_subscription_per_hour: Annotated[int, Field(ge=0)] = 20
    # In a sweep, automatic changes may touch at most this share of the resources in scope.
    sweep_max_percent: Annotated[float, Field(ge=0, le=100)] = 10.0
    # Flap protection: more than `flap_max_reverts` reverts of one (resource, rule) within the window
    # stops reverting and opens a case naming the other callers.
    flap_max_reverts: Annotated[int, Field(ge=1)] = 3
    flap_window_minutes: Annotated[int, Field(ge=1)] = 60


class ApprovalPolicy(_Strict):
    """How cases are decided (CONTROLS.md, modes `approve` and `ticket`)."""

    # Rules whose fixes need two different approvers (their rollbacks too): removing a privileged
    # assignment can lock a team out.
    critical_rules: tuple[str, ...] = ("authorization_roleassignment_privileged_not_standing",)
    approvers_for_critical: Annotated[int, Field(ge=2, le=5)] = 2
    # An open case past its SLA is notified again every `renotify_every_hours`, and expires after
    # `expire_after_days` (the finding stays open: the next detection opens a new case).
    sla_hours: Annotated[int, Field(ge=1)] = 72
    renotify_every_hours: Annotated[int, Field(ge=1)] = 24
    expire_after_days: Annotated[int, Field(ge=1)] = 14

    def approvers_needed(self, rule_id: str) -> int:
        return self.approvers_for_critical if rule_id in self.critical_rules else 1


class ScopeLevel(StrEnum):
    RESOURCE = "resource"
    RESOURCE_GROUP = "resource_group"
    SUBSCRIPTION = "subscription"
    MANAGEMENT_GROUP = "management_group"


class PersonaRole(_Strict):
    """A role (by definition GUID: roles get renamed, GUIDs stay) a persona may hold, and where."""

    role: str
    scopes: tuple[ScopeLevel, ...] = (ScopeLevel.RESOURCE,)

    @field_validator("role")
    @classmethod
    def _guid(cls, value: str) -> str:
        return parse_guid(value)


class Persona(_Strict):
    name: str
    # Entra group object ids whose members hold this persona, and principals assigned to it directly
    # (workload identities, for instance).
    groups: tuple[str, ...] = ()
    principals: tuple[str, ...] = ()
    allowed: tuple[PersonaRole, ...] = ()

    @field_validator("groups", "principals")
    @classmethod
    def _guids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(parse_guid(v) for v in value)


def _r(guid: str, *levels: ScopeLevel) -> PersonaRole:
    return PersonaRole(role=guid, scopes=levels or (ScopeLevel.RESOURCE,))


READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
_ALL = (ScopeLevel.RESOURCE, ScopeLevel.RESOURCE_GROUP, ScopeLevel.SUBSCRIPTION)
# The persona defaults of CONTROLS.md: who may hold what at AI scopes. Groups are the tenant's own,
# so the defaults name none: a policy file maps its groups to these personas.
DEFAULT_PERSONAS: tuple[Persona, ...] = (
    Persona(
        name="data_scientist",
        allowed=(
            _r("f6c7c914-8db3-469d-8ca1-694a8f32e121"),  # AzureML Data Scientist, on the workspace
            _r("53ca6127-db72-4b80-b1b0-d745d6d5456d"),  # Azure AI User, on the project
            _r("ba92f5b4-2d11-453d-a403-e96b0029c9fe"),  # Storage Blob Data Contributor, on data storage
            _r(READER, *_ALL),
        ),
    ),
    Persona(
        name="ai_developer",
        allowed=(
            _r("64702f94-c441-49e6-a78b-ef80e0188fee", ScopeLevel.RESOURCE, ScopeLevel.RESOURCE_GROUP),  # Azure AI Developer
            _r("a001fd3d-188f-4b5d-821b-7da978bf7442"),  # Cognitive Services OpenAI Contributor (non-production)
            _r("5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"),  # Cognitive Services OpenAI User
            _r("8ebe5a00-799e-43f5-93ac-243d3dce84a7"),  # Search Index Data Contributor
            _r(READER, *_ALL),
        ),
    ),
    Persona(
        name="it_administrator",
        allowed=(
            _r(READER, *_ALL),
            _r("e47c6f54-e4a2-4754-9501-8e0985b135e1", ScopeLevel.RESOURCE, ScopeLevel.RESOURCE_GROUP),  # Azure AI Account Owner
        ),
    ),
    Persona(
        name="workload_identity",
        allowed=(
            _r("5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"),  # Cognitive Services OpenAI User
            _r("1407120a-92aa-4202-b7e9-c0e197c71c8f"),  # Search Index Data Reader
            _r("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"),  # Storage Blob Data Reader
        ),
    ),
)


class AccessPolicy(_Strict):
    personas: tuple[Persona, ...] = DEFAULT_PERSONAS
    # Personas whose members may hold privileged roles (Owner, Contributor, ...) as standing access at
    # AI scopes (CONTROLS.md: the IT administrators; everyone else goes through PIM or break-glass).
    standing_privileged_personas: tuple[str, ...] = ("it_administrator",)
    # How far back activity counts as use, and how old an assignment must be to be judged unused.
    review_window_days: Annotated[int, Field(ge=1, le=730)] = 90
    # Activity data older than this is stale: nothing is judged unused on it.
    activity_max_lag_hours: Annotated[int, Field(ge=1)] = 48
    max_removals_per_review: Annotated[int, Field(ge=0)] = 25
    # The tenant's Entra groups for each persona (by name), on top of the personas' own `groups`: the
    # usual way to adopt the defaults without restating them.
    groups: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("groups")
    @classmethod
    def _group_ids(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return {name: tuple(parse_guid(g) for g in ids) for name, ids in value.items()}

    def model_post_init(self, __context: Any) -> None:
        known = {p.name for p in self.personas}
        unknown = sorted(set(self.groups) - known)
        if unknown:
            raise ValueError(f"access.groups names unknown persona(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")

    def group_ids(self, persona: Persona) -> set[str]:
        return {g.lower() for g in (*persona.groups, *self.groups.get(persona.name, ()))}

    def all_group_ids(self) -> list[str]:
        return sorted({g for p in self.personas for g in self.group_ids(p)})

    def personas_of(self, principal_id: str, groups: frozenset[str] = frozenset()) -> tuple[Persona, ...]:
        pid = principal_id.lower()
        return tuple(p for p in self.personas if pid in {x.lower() for x in p.principals} or groups & self.group_ids(p))


class Policy(_Strict):
    """What the security team wants: modes, approved lists and thresholds."""

    access: AccessPolicy = AccessPolicy()

    exemptions: tuple[Exemption, ...] = ()
    # Principals (object or app ids) and resources (ids or patterns) DriftGuard never touches.
    break_glass_principals: tuple[str, ...] = ()
    break_glass_resources: tuple[str, ...] = ()
    limits: Limits = Limits()
    approvals: ApprovalPolicy = ApprovalPolicy()

    modes: dict[str, Mode] = Field(default_factory=dict)
    overrides: tuple[ModeOverride, ...] = ()
    network: NetworkPolicy = NetworkPolicy()
    content_filters: ContentFilterPolicy = ContentFilterPolicy()
    models: ModelPolicy = ModelPolicy()
    data: DataPolicy = DataPolicy()
    monitoring: MonitoringPolicy = MonitoringPolicy()
    keys: KeyPolicy = KeyPolicy()
    sandboxes: SandboxPolicy = SandboxPolicy()
    probes: ProbePolicy = ProbePolicy()
    gateways: GatewayPolicy = GatewayPolicy()

    def mode_for(self, rule_id: str, resource_id: str, *, default: Mode) -> Mode:
        """The most specific override wins (longest scope), then the rule's mode, then its default."""
        rid = fold(resource_id)
        best: ModeOverride | None = None
        for o in self.overrides:
            scope = fold(o.scope).rstrip("/")
            applies = o.rule == rule_id and (rid == scope or rid.startswith(scope + "/"))
            if applies and (best is None or len(o.scope) > len(best.scope)):
                best = o
        if best is not None:
            return best.mode
        return self.modes.get(rule_id, default)

    def check_rule_ids(self, known: set[str] | frozenset[str]) -> None:
        """Rule ids are a public contract: a policy naming an unknown one is a typo to report, and so is
        an exemption whose rule pattern matches no rule (it would cover nothing, silently)."""
        named = set(self.modes) | {o.rule for o in self.overrides} | set(self.approvals.critical_rules)
        unknown = sorted(named - known)
        if unknown:
            raise ConfigError(f"policy names unknown rule id(s): {', '.join(unknown)}")
        for i, exemption in enumerate(self.exemptions):
            for pattern in exemption.rules:
                if not fnmatch.filter(sorted(known), pattern.strip().lower()):
                    raise ConfigError(
                        f"exemptions.{i}.rules: {pattern!r} matches no rule (see `driftguard rules`), so the exemption for"
                        f" {exemption.resource} would cover nothing"
                    )


def known_rule_ids() -> frozenset[str]:
    """Every rule id a policy may name: the catalog's, and the Defender for AI alert's (incidents carry it)."""
    from driftguard import alerts, rules

    return frozenset({m.id for m in rules.metas()} | {alerts.RULE})


def policy_schema() -> dict[str, Any]:
    """The policy file's JSON Schema (draft 2020-12), for editors and CI: docs/policy.schema.json."""
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "DriftGuard policy file"
    # Where the file names a rule by its id, the schema lists the ids, as `policy validate` checks them
    # (exemptions take patterns: `policy validate` checks that each matches a rule).
    ids = {"enum": sorted(known_rule_ids())}
    schema["properties"]["modes"]["propertyNames"] = ids
    schema["$defs"]["ModeOverride"]["properties"]["rule"].update(ids)
    schema["$defs"]["ApprovalPolicy"]["properties"]["critical_rules"]["items"].update(ids)
    return schema


def _describe(e: ValidationError, where: str) -> str:
    first = _each(e, where)[0]
    return first + (f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else "")


def _each(e: ValidationError, where: str) -> tuple[str, ...]:
    """Every error of a validation, one line each: where, the key's path, what is wrong."""
    lines = []
    for error in e.errors():
        loc = ".".join(str(p) for p in error["loc"]) or "(root)"
        msg = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        lines.append(f"{where}: {loc}: {msg}")
    return tuple(lines)


def _toml(raw: bytes) -> dict[str, Any]:
    # As written on Windows too: UTF-16 or UTF-8 with a BOM (json.loads finds those by itself).
    return tomllib.loads(decode(raw, "policy file"))


def load_policy(path: Path | None) -> Policy:
    """Read a policy file (JSON or TOML, by extension); None gives the defaults of CONTROLS.md."""
    if path is None:
        return Policy()
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"policy file {path}: {e.strerror or e}") from e
    try:
        data: Any = parse(_toml if path.suffix.lower() == ".toml" else json.loads, raw, f"policy file {path}")
    except TooDeep as e:
        raise ConfigError(str(e)) from e
    except (ValueError, UnicodeDecodeError) as e:
        raise ConfigError(f"policy file {path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"policy file {path}: expected an object at the top level")
    try:
        return Policy.model_validate(data)
    except ValidationError as e:
        where = f"policy file {path}"
        raise ConfigError(_describe(e, where), errors=_each(e, where)) from e


# --- ticket sinks ---------------------------------------------------------------------------------


def _https(value: str) -> str:
    if not value.startswith("https://"):
        raise ValueError("must be an https:// URL (credentials are never sent over plain HTTP)")
    return value.rstrip("/")


def _sink_url(value: str) -> str:
    check_url(value)  # its host is judged with DRIFTGUARD_SINK_PRIVATE_HOSTS, in Settings.sink_secrets
    return value.rstrip("/")


def _sink_url_field(name: str) -> Any:
    """A validator that holds the field to a URL a credential may be sent to (https, no user info)."""
    return field_validator(name)(classmethod(lambda cls, v: _sink_url(v)))


class _Sink(_Strict):
    # The field holding the ticket system's URL, if the settings hold it (Teams and webhooks keep it in a secret).
    URL_FIELD: ClassVar[str | None] = None
    # A short name of this sink (tickets are tracked per name): lower-case letters, digits and dashes.
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]


class TeamsSink(_Sink):
    """A Teams Workflows webhook ("post to a channel when a webhook request is received")."""

    kind: Literal["teams"]
    # The app setting holding the webhook URL: the URL carries its own signature, so it is a secret.
    url_setting: str


class GitHubSink(_Sink):
    kind: Literal["github"]
    repository: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    token_setting: str
    api_url: str = "https://api.github.com"
    labels: tuple[str, ...] = ("driftguard",)

    URL_FIELD = "api_url"
    _url = _sink_url_field(URL_FIELD)


class AzureDevOpsSink(_Sink):
    kind: Literal["azure_devops"]
    organization_url: str  # https://dev.azure.com/contoso
    project: str
    token_setting: str  # a personal access token with Work Items (read and write)
    work_item_type: str = "Task"
    closed_state: str = "Done"
    open_state: str = "To Do"

    URL_FIELD = "organization_url"
    _url = _sink_url_field(URL_FIELD)


class ServiceNowSink(_Sink):
    kind: Literal["servicenow"]
    instance_url: str  # https://contoso.service-now.com
    username: str
    password_setting: str
    close_code: str = "Solution provided"
    resolved_state: str = "6"
    open_state: str = "2"

    URL_FIELD = "instance_url"
    _url = _sink_url_field(URL_FIELD)


class JiraSink(_Sink):
    kind: Literal["jira"]
    base_url: str  # https://contoso.atlassian.net
    project_key: str
    email: str
    token_setting: str
    issue_type: str = "Task"

    URL_FIELD = "base_url"
    _url = _sink_url_field(URL_FIELD)


class WebhookSink(_Sink):
    """Any JSON endpoint: the case as JSON, signed with HMAC-SHA256 when a secret is set."""

    kind: Literal["webhook"]
    url_setting: str
    secret_setting: str | None = None


SinkConfig = Annotated[TeamsSink | GitHubSink | AzureDevOpsSink | ServiceNowSink | JiraSink | WebhookSink, Field(discriminator="kind")]


def secret_settings(sink: SinkConfig) -> tuple[str, ...]:
    """The app settings a sink reads its secrets from (Key Vault references in Azure)."""
    names = [getattr(sink, f) for f in ("url_setting", "token_setting", "password_setting", "secret_setting") if hasattr(sink, f)]
    return tuple(n for n in names if n)


KEY_VAULT_REFERENCE = "@microsoft.keyvault("


def refuse_unresolved_reference(name: str, value: str) -> None:
    """App Service leaves a Key Vault reference it could not resolve as the setting's value: the literal
    `@Microsoft.KeyVault(...)` text. Refused with one line naming the setting, never its value."""
    if value.strip().lower().startswith(KEY_VAULT_REFERENCE):
        raise ConfigError(
            f"setting {name}: an unresolved Key Vault reference (the app could not read the secret: "
            "check that it exists in the vault, the vault's private endpoint and the app identity's access)"
        )


def _secret(environ: Mapping[str, str], sink: SinkConfig, name: str, private_hosts: frozenset[str]) -> str:
    """One secret, read and checked; the ConfigError names the setting, never the value."""
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"setting {PREFIX}SINKS: sink {sink.name!r} reads its secret from {name}, which is not set")
    refuse_unresolved_reference(name, value)
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        # A line break in a token would split the request's headers.
        raise ConfigError(f"setting {name} (a secret of sink {sink.name!r}): contains a control character")
    if name == getattr(sink, "url_setting", None):
        try:
            check_destination(value, private_hosts)
        except RefusedDestination as e:
            raise ConfigError(f"setting {name} (the URL of sink {sink.name!r}): {e}") from e
    return value


# --- app settings ---------------------------------------------------------------------------------

PREFIX = "DRIFTGUARD_"


class Settings(_Strict):
    """The app's settings, read from DRIFTGUARD_* environment variables (app settings in Azure)."""

    subscriptions: tuple[str, ...] = ()
    management_group: str | None = None
    policy_file: Path | None = None
    arm_endpoint: str = "https://management.azure.com"
    # Microsoft Graph, asked for the names and kinds of principals (access reviews, the console).
    graph_endpoint: str = "https://graph.microsoft.com"
    # Client id of the user-assigned managed identity to authenticate as (None: DefaultAzureCredential's
    # own choice): the read-only detector, which also reaches the app's own storage, vault and topic.
    managed_identity_client_id: str | None = None
    # Client id of the identity that writes fixes (the remediator; None: the identity above). Reads and
    # sweeps never hold write rights.
    remediator_client_id: str | None = None
    # NCRONTAB schedules of the timer functions.
    sweep_schedule: str = "0 */15 * * * *"
    # DriftGuard's own identities (object ids and client ids): its writes come back as events and must
    # not be taken for drift.
    identity_ids: tuple[str, ...] = ()
    # Decide and record everything, change nothing.
    dry_run: bool = False
    # The Log Analytics workspace (its GUID) that receives the Activity Log: evidence of use for reviews.
    log_analytics_workspace: str | None = None
    # The state store: Table Storage by endpoint (managed identity; production), else a SQLite file.
    table_endpoint: str | None = None
    state_db: Path | None = None
    deep_sweep_schedule: str = "0 30 2 * * *"
    review_schedule: str = "0 0 6 * * 1"  # the access review, weekly
    sla_schedule: str = "0 5 * * * *"  # reminders and expiry of open cases, hourly
    outbox_schedule: str = "0 */1 * * * *"  # ticket and event deliveries, every minute
    # Canary probes of the deployments the policy file opts in (`probes`), daily: nothing is sent
    # while the policy names none.
    probe_schedule: str = "0 15 4 * * *"
    # Defender for AI alerts into incident cases: one Resource Graph query a run, every 5 minutes.
    alerts_schedule: str = "0 */5 * * * *"
    # Where approvers open the console: tickets link to it (the app's own URL + /api/console).
    console_url: str | None = None
    # The custom Event Grid topic DriftGuard publishes its CloudEvents to (None: none published).
    events_topic_endpoint: str | None = None
    # Hosts a ticket sink may reach on a private network (exact names or IP addresses, comma separated):
    # every other sink host must resolve to public addresses only.
    sink_private_hosts: tuple[str, ...] = ()
    # Ticket systems and webhooks told about cases (a JSON array in the app setting).
    sinks: tuple[SinkConfig, ...] = ()
    # How long a fix's claim holds before another handler may take it over (renewed before each
    # write): long enough for a fix, short enough that a dead handler's fix is finished soon.
    claim_ttl_seconds: int = Field(default=300, ge=1, le=3600)

    @property
    def claim_ttl(self) -> timedelta:
        return timedelta(seconds=self.claim_ttl_seconds)

    @field_validator("subscriptions", "identity_ids")
    @classmethod
    def _subs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(parse_guid(v) for v in value)

    @field_validator("managed_identity_client_id", "remediator_client_id")
    @classmethod
    def _client_id(cls, value: str | None) -> str | None:
        return None if value is None else parse_guid(value)

    @field_validator("log_analytics_workspace")
    @classmethod
    def _workspace(cls, value: str | None) -> str | None:
        return None if value is None else parse_guid(value)

    @field_validator("table_endpoint")
    @classmethod
    def _table_https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must be an https:// URL")
        return value

    @field_validator("arm_endpoint", "graph_endpoint")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("must be an https:// URL (bearer tokens are never sent over plain HTTP)")
        return value.rstrip("/")

    @field_validator("console_url", "events_topic_endpoint")
    @classmethod
    def _optional_https(cls, value: str | None) -> str | None:
        return None if value is None else _https(value)

    @field_validator("sink_private_hosts")
    @classmethod
    def _private_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(parse_private_host(v) for v in value)

    @field_validator("sinks")
    @classmethod
    def _unique_sinks(cls, value: tuple[SinkConfig, ...]) -> tuple[SinkConfig, ...]:
        names = [s.name for s in value]
        if len(set(names)) != len(names):
            raise ValueError(f"sink names must be unique: {', '.join(sorted(names))}")
        return value

    def sink_secrets(self, environ: Mapping[str, str]) -> dict[str, str]:
        """Every sink's secrets by setting name, each set and well formed, and every sink's URL one a
        credential may go to: checked at start-up, not at the first ticket. What can only be known by
        resolving a host is checked at each connection (driftguard.cases.sinks._http)."""
        private_hosts = frozenset(self.sink_private_hosts)
        secrets: dict[str, str] = {}
        for sink in self.sinks:
            if sink.URL_FIELD is not None:
                try:
                    check_destination(str(getattr(sink, sink.URL_FIELD)), private_hosts)
                except RefusedDestination as e:
                    raise ConfigError(f"setting {PREFIX}SINKS: sink {sink.name!r}: {sink.URL_FIELD}: {e}") from e
            for name in secret_settings(sink):
                secrets[name] = _secret(environ, sink, name, private_hosts)
        return secrets

    @field_validator(
        "sweep_schedule", "deep_sweep_schedule", "review_schedule", "sla_schedule", "outbox_schedule", "probe_schedule", "alerts_schedule"
    )
    @classmethod
    def _ncrontab(cls, value: str) -> str:
        if len(value.split()) != 6:
            raise ValueError("must be an NCRONTAB expression with six fields (second minute hour day month weekday)")
        return value

    def require_scope(self) -> None:
        if not self.subscriptions and not self.management_group:
            raise ConfigError(f"set {PREFIX}SUBSCRIPTIONS or {PREFIX}MANAGEMENT_GROUP: there is nothing to watch")


SETTING_NAMES: dict[str, str] = {f"{PREFIX}{name.upper()}": name for name in Settings.model_fields}


# Outputs of infra/main.bicep that azd puts in the environment beside the settings (`azd env get-values`,
# azd's hooks): names for people and scripts, not settings, so they must not stop the app or the CLI.
# Variables of the azd environment that are not app settings: the deployment's outputs and what its
# hooks record. A shell with the azd environment loaded has them, and the CLI must still start there.
DEPLOYMENT_OUTPUTS = frozenset(
    {
        "DRIFTGUARD_AUTH_CLIENT_ID",
        "DRIFTGUARD_BREAK_GLASS_PRINCIPAL_IDS",
        "DRIFTGUARD_DEAD_LETTER_ACCOUNT",
        "DRIFTGUARD_DETECTOR_PRINCIPAL_ID",
        "DRIFTGUARD_DOWN_ALLOW_GROUP",
        "DRIFTGUARD_EXISTING_SYSTEM_TOPICS",
        "DRIFTGUARD_KEY_VAULT_NAME",
        "DRIFTGUARD_PROBED_ACCOUNT_IDS",
        "DRIFTGUARD_PROVIDER_WAIT_SECONDS",
        "DRIFTGUARD_RECOVER_KEY_VAULT",
        "DRIFTGUARD_REMEDIATOR_PRINCIPAL_ID",
        "DRIFTGUARD_RESOURCE_NOTIFICATIONS",
        "DRIFTGUARD_RESOURCE_TOKEN",
        "DRIFTGUARD_SIGNIN_PRINCIPAL_ID",
        "DRIFTGUARD_SINK_SECRET_SETTINGS",
        "DRIFTGUARD_STORAGE_SKU",
        "DRIFTGUARD_WATCHED_SUBSCRIPTIONS",
    }
)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment. Unknown DRIFTGUARD_* variables are errors, not ignored typos."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for key, raw in env.items():
        if not key.startswith(PREFIX):
            continue
        name = SETTING_NAMES.get(key)
        if name is None and key in DEPLOYMENT_OUTPUTS:
            continue
        if name is None:
            raise ConfigError(f"unknown setting {key} (known: {', '.join(sorted(SETTING_NAMES))})")
        refuse_unresolved_reference(key, raw)
        if name in ("subscriptions", "identity_ids", "sink_private_hosts"):
            values[name] = tuple(s.strip() for s in raw.replace(";", ",").split(",") if s.strip())
        elif name == "sinks":
            try:
                values[name] = parse(json.loads, raw, f"setting {key}") if raw.strip() else []
            except TooDeep as e:
                raise ConfigError(str(e)) from e
            except ValueError as e:
                raise ConfigError(f"setting {key}: not valid JSON: {e}") from e
        elif raw.strip() != "":
            values[name] = raw.strip()
    try:
        settings = Settings.model_validate(values)
    except ValidationError as e:
        first = e.errors()[0]
        key = f"{PREFIX}{str(first['loc'][0]).upper()}" if first["loc"] else "settings"
        where = ".".join(str(p) for p in first["loc"][1:])
        raise ConfigError(f"setting {key}: {where + ': ' if where else ''}{first['msg']}") from e
    settings.sink_secrets(env)
    return settings
