"""A gateway keeps no AI account key in a named value (where a backend's header or an API policy would
take it from). A secret named value never returns its value on a read, so the rule judges what can be
read: a name or display name that the policy's `gateways.key_named_values` patterns take for an
account key, or a plain (non-secret) value shaped like one under a name that says it is a key.

The shape alone is not enough: 32 hexadecimal characters are also an MD5 hash or a GUID without dashes.
A named value that a backend sends to an AI account in its key header is reported on the backend
(`apimanagement_backend_managed_identity`, which names the `{{named value}}` it sends), whatever it is
called."""

from __future__ import annotations

import re

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, is_true, parent_id, prop

META = RuleMeta(
    id="apimanagement_namedvalue_no_account_key",
    title="AI gateways keep no AI account key in a named value",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.ApiManagement/service/namedValues",),
    seed_section="Use Entra ID, eliminate API keys",
    default_mode=Mode.TICKET,
    remediation=None,
    references=(
        Reference(
            "azure-policy", "f1cc7827-022c-473e-836e-5a51cae0b249", "API Management secret named values should be stored in Azure Key Vault"
        ),
        Reference("mcsb", "IM-8", "Restrict the exposure of credentials and secrets"),
        Reference("mitre-atlas", "AML.T0055", "Unsecured Credentials"),
        Reference("owasp-llm", "LLM02", "Sensitive Information Disclosure"),
    ),
)

# Cognitive Services keys: 32 hexadecimal characters, or the newer 84-character base-62 keys.
_KEY_SHAPE = re.compile(r"[0-9a-fA-F]{32}|[0-9A-Za-z]{84}")
# A name that says its value is a key (api-key, apikey, key1, primary_key, ...): "key" as a word or a part
# of one, not inside another word ("monkey", "keyboard").
_KEY_NAME = re.compile(r"(?:^|[^a-z])(?:api)?keys?(?:[^a-z]|$)|apikey", re.IGNORECASE)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    props = snapshot.properties
    name = str(snapshot.resource.get("name") or "")
    display = str(prop(props, "displayName") or "")
    pattern = context.policy.gateways.holds_account_key(name, display)
    value = prop(props, "value")
    plain_key = (
        not is_true(prop(props, "secret"))
        and isinstance(value, str)
        and _KEY_SHAPE.fullmatch(value.strip()) is not None
        and any(_KEY_NAME.search(n) for n in (name, display))
    )
    if pattern is None and not plain_key:
        return []
    why = (
        f"its name matches {pattern!r}"
        if pattern is not None
        else "it is named as a key and its value is shaped like an AI account key, and it is not even secret"
    )
    return [
        context.finding(
            META,
            snapshot,
            f"the named value looks like an AI account key ({why}): call the account with the gateway's managed identity "
            "and delete the named value",
            {
                "gateway": parent_id(snapshot.id),
                "displayName": display or name,
                "secret": prop(props, "secret"),
                "keyVault.secretIdentifier": prop(props, "keyVault", "secretIdentifier"),
            },
        )
    ]
