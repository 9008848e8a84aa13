"""Defender for AI alerts as DriftGuard reads them, and the playbook each kind of alert gets.

An alert is the ARM resource `Microsoft.Security/locations/alerts` as Resource Graph's
`securityresources` table returns it; its properties follow Microsoft's Security Alert schema (the
`Alert` model of azure-mgmt-security 7.0.0: `alertType`, `alertDisplayName`, `severity`, `status`,
`compromisedEntity`, `resourceIdentifiers`, `entities`, `timeGeneratedUtc`, `startTimeUtc`,
`extendedProperties`, `alertUri`, `systemAlertId`). The alert types are those of Defender for Cloud's
"Alerts for AI services" reference. Pure: parsing and a table, no I/O.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from driftguard.ids import InvalidResourceId, normalize_guid, parse_resource_id
from driftguard.model import Reference, Severity

# The case rule every incident carries: approvals, claims and the policy's critical rules key on it.
RULE = "defender_for_ai_alert"
# Defender for AI alert types start so (Defender for Cloud, "Alerts for AI services").
PREFIX = "AI."


class NotAnAlert(ValueError):
    """A row that is not a usable Defender for AI alert (no id, no type, no AI resource)."""


@dataclass(frozen=True, slots=True)
class Playbook:
    """What to do about a kind of alert: a remediation, applied to the alert's resource (`account`),
    to the RAI policy of the deployment it names (`rai_policy`), and what it needs from the alert."""

    remediation: str
    target: str  # "account" | "rai_policy"
    needs_ip: bool = False
    why: str = ""


ROTATE = Playbook("cognitiveservices_account_regenerate_keys", "account", why="credentials may be exposed: rotate Key1 and Key2")
LOCAL_AUTH = Playbook(
    "cognitiveservices_account_disable_local_auth",
    "account",
    why="access by a key in the wrong hands: rotate the keys, then turn key auth off",
)
BLOCK_IP = Playbook(
    "cognitiveservices_account_block_ip",
    "account",
    needs_ip=True,
    why="a known-bad address reached the account: take it out of the network rules",
)
BLOCK_JAILBREAK = Playbook(
    "cognitiveservices_rai_policy_block_jailbreak",
    "rai_policy",
    why="a jailbreak got past the filter (detected, not blocked): turn the deployment's jailbreak filter to blocking",
)

# Alert type (lower case) -> playbook. Types without one become incident cases with no automated fix:
# a person answers them (a wallet attack, a phishing URL, a jailbreak already blocked).
PLAYBOOKS: dict[str, Playbook] = {
    "ai.azure_credentialtheftattempt": ROTATE,
    "ai.azure_anomalousoperation.initialaccess": ROTATE,
    "ai.azure_accessfromsuspiciousip": BLOCK_IP,
    "ai.azure_accessfromanonymizedip": BLOCK_IP,
    "ai.azure_accessfromsuspicioususeragent": LOCAL_AUTH,
    "ai.azure_accessanomaly": LOCAL_AUTH,
    "ai.azure_jailbreak.contentfiltering.detectedattempt": BLOCK_JAILBREAK,
}

# Public references per alert type, as the rules carry them.
_INJECTION = (Reference("mitre-atlas", "AML.T0051", "LLM Prompt Injection"), Reference("owasp-llm", "LLM01", "Prompt Injection"))
_CREDENTIALS = (
    Reference("mitre-atlas", "AML.T0055", "Unsecured Credentials"),
    Reference("owasp-llm", "LLM02", "Sensitive Information Disclosure"),
)
_ACCESS = (
    Reference("mitre-atlas", "AML.T0012", "Valid Accounts"),
    Reference("mitre-atlas", "AML.T0049", "Exploit Public-Facing Application"),
)
_WALLET = (Reference("mitre-atlas", "AML.T0034", "Cost Harvesting"), Reference("owasp-llm", "LLM10", "Unbounded Consumption"))
REFERENCES: dict[str, tuple[Reference, ...]] = {
    "ai.azure_jailbreak.contentfiltering.blockedattempt": _INJECTION,
    "ai.azure_jailbreak.contentfiltering.detectedattempt": _INJECTION,
    "ai.azure_asciismuggling": _INJECTION,
    "ai.azure_credentialtheftattempt": _CREDENTIALS,
    "ai.azure_dataleakinmodelresponse.sensitive": _CREDENTIALS,
    "ai.azure_anomalousoperation.initialaccess": _ACCESS,
    "ai.azure_accessfromsuspiciousip": _ACCESS,
    "ai.azure_accessfromanonymizedip": _ACCESS,
    "ai.azure_accessfromsuspicioususeragent": _ACCESS,
    "ai.azure_accessanomaly": _ACCESS,
    "ai.azure_dowduplicaterequests": _WALLET,
    "ai.azure_dowvolumeanomaly": _WALLET,
}

# The Security Alert schema's severities (Informational, Low, Medium, High).
_SEVERITY = {"informational": Severity.INFO, "low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH}
# Where an alert may name the model deployment it is about. Not in the Alert schema itself (extended
# properties are free-form): these key names could not be checked against a real alert offline.
DEPLOYMENT_KEYS = ("Deployment Name", "DeploymentName", "Deployment", "deploymentName")
# Entity fields that name a principal by its Entra object id: the schema's AccountEntity `aadUserId`,
# MailboxEntity `aadId`, and the object ids other entity kinds (applications, groups, identities) carry.
PRINCIPAL_ID_FIELDS = ("aadUserId", "aadId", "objectId", "objectGuid", "oAuthObjectId", "principalId")
# Entity fields that name a principal by its sign-in name (UPN); an AccountEntity splits it in `name`
# and `upnSuffix`.
UPN_FIELDS = ("upn", "userPrincipalName", "mailboxPrimaryAddress")


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    alert_type: str
    display_name: str
    severity: Severity
    status: str
    resource_id: str  # the AI resource (the first AzureResource identifier)
    generated_at: datetime
    start_at: datetime | None
    entities: tuple[Mapping[str, Any], ...]
    extended: Mapping[str, Any]
    description: str = ""
    compromised_entity: str = ""
    alert_uri: str = ""
    system_alert_id: str = ""

    @property
    def playbook(self) -> Playbook | None:
        return PLAYBOOKS.get(self.alert_type.lower())

    @property
    def references(self) -> tuple[Reference, ...]:
        return REFERENCES.get(self.alert_type.lower(), ())

    @property
    def ip_addresses(self) -> tuple[str, ...]:
        """The caller addresses the alert names: `ip` entities (the schema's IpEntity: `address`), then
        the extended property "Client IP Address" (the key name could not be checked offline)."""
        found: list[str] = []
        for entity in self.entities:
            if str(entity.get("type", "")).lower() == "ip":
                found.append(str(entity.get("address") or ""))
        for key in ("Client IP Address", "ClientIpAddress", "IP Address"):
            if self.extended.get(key):
                found.append(str(self.extended[key]))
        valid = []
        for text in found:
            try:
                valid.append(str(ipaddress.ip_address(text.strip())))
            except ValueError:
                continue
        return tuple(dict.fromkeys(valid))

    @property
    def principals(self) -> tuple[str, ...]:
        """The principals the alert names (lower case): object ids, and sign-in names (UPNs). Whoever an
        alert is about may not approve what is done about it (see `Case.causers`)."""
        found: list[str] = []
        for entity in self.entities:
            fields = {str(k).lower(): v for k, v in entity.items()}
            for key in PRINCIPAL_ID_FIELDS:
                value = fields.get(key.lower())
                guid = normalize_guid(value) if isinstance(value, str) else None
                if guid:
                    found.append(guid)
            names = [fields.get(key.lower()) for key in UPN_FIELDS]
            name, suffix = fields.get("name"), fields.get("upnsuffix")
            if isinstance(name, str) and isinstance(suffix, str) and name.strip() and suffix.strip() and "@" not in name:
                names.append(f"{name.strip()}@{suffix.strip()}")
            found += [n.strip().lower() for n in names if isinstance(n, str) and "@" in n]
        return tuple(dict.fromkeys(found))

    @property
    def deployment(self) -> str | None:
        """The model deployment the alert is about, when its extended properties name one."""
        for key in DEPLOYMENT_KEYS:
            value = self.extended.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip().rsplit("/", 1)[-1]
        return None

    def summary(self) -> dict[str, Any]:
        """What an incident case carries of the alert: kind, severity, entities, time (never a prompt)."""
        return {
            "id": self.id,
            "system_alert_id": self.system_alert_id,
            "type": self.alert_type,
            "display_name": self.display_name,
            "severity": self.severity.label,
            "status": self.status,
            "resource_id": self.resource_id,
            "generated_at": _iso(self.generated_at),
            "start_at": _iso(self.start_at) if self.start_at else None,
            "compromised_entity": self.compromised_entity,
            "entities": [dict(e) for e in self.entities],
            "ip_addresses": list(self.ip_addresses),
            "principals": list(self.principals),
            "deployment": self.deployment,
            "alert_uri": self.alert_uri,
            "description": self.description,
        }


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    # Defender writes seven fractional digits (.NET); Python takes six.
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _resource_of(props: Mapping[str, Any]) -> str:
    for ident in props.get("resourceIdentifiers") or ():
        if isinstance(ident, Mapping) and str(ident.get("type", "")).lower() == "azureresource" and ident.get("azureResourceId"):
            try:
                return str(parse_resource_id(str(ident["azureResourceId"])))
            except InvalidResourceId:
                continue
    raise NotAnAlert("the alert names no Azure resource (resourceIdentifiers)")


def from_row(row: Mapping[str, Any]) -> Alert:
    """An alert from its ARM JSON (a Resource Graph row): NotAnAlert when it is not a usable one."""
    props = row.get("properties")
    if not isinstance(props, Mapping) or not row.get("id"):
        raise NotAnAlert("no id or properties")
    alert_type = str(props.get("alertType") or "")
    if not alert_type.startswith(PREFIX):
        raise NotAnAlert(f"{alert_type or '(no type)'} is not a Defender for AI alert")
    generated = parse_time(props.get("timeGeneratedUtc")) or parse_time(props.get("startTimeUtc"))
    if generated is None:
        raise NotAnAlert("the alert has no time")
    entities = tuple(e for e in props.get("entities") or () if isinstance(e, Mapping))
    extended = props.get("extendedProperties")
    return Alert(
        id=str(row["id"]),
        alert_type=alert_type,
        display_name=str(props.get("alertDisplayName") or alert_type),
        severity=_SEVERITY.get(str(props.get("severity") or "").lower(), Severity.MEDIUM),
        status=str(props.get("status") or ""),
        resource_id=_resource_of(props),
        generated_at=generated,
        start_at=parse_time(props.get("startTimeUtc")),
        entities=entities,
        extended=extended if isinstance(extended, Mapping) else {},
        description=str(props.get("description") or ""),
        compromised_entity=str(props.get("compromisedEntity") or ""),
        alert_uri=str(props.get("alertUri") or ""),
        system_alert_id=str(props.get("systemAlertId") or row.get("name") or ""),
    )
