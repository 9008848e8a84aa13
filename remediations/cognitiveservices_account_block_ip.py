"""Takes a caller's address out of an AI account's reach (a Defender for AI alert's playbook).

Cognitive Services network rules are an allow-list: `networkAcls.ipRules` are the addresses let in
when `defaultAction` is `Deny`; there is no deny rule for one address. So blocking an address means:
- `publicNetworkAccess: Disabled`: no public address gets in; nothing to do.
- `defaultAction: Deny`: drop the rules that let exactly that address in (`1.2.3.4` or `1.2.3.4/32`).
  A wider range that holds it is not cut up here: the plan is refused, a person narrows the range.
- `defaultAction: Allow` (every address gets in): switch to `Deny`, keeping the existing rules and
  virtual network rules. That shuts out every other public address not listed too: the plan says so,
  and it is only ever applied after an approver has read it.
An address of an AI gateway the policy declares (`gateways.fronted`: its public and outbound addresses,
read at planning) is never taken out: the plan is refused, a person decides.
The whole `networkAcls` object is PATCHed (ARM replaces arrays); a rollback puts the old object back.
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Mapping
from typing import Any

from driftguard.model import Plan
from remediations.base import COGNITIVE_ACCOUNT, COGNITIVE_WRITE, CannotPlan, PlanContext, Remediation, get_path, patch_plan

ID = "cognitiveservices_account_block_ip"


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _never_a_gateway(address: ipaddress.IPv4Address | ipaddress.IPv6Address, context: PlanContext) -> None:
    """An AI gateway's own address is never blocked: every caller behind the gateway would be cut off
    with it (an attacker behind the gateway shows as the gateway). A gateway whose addresses cannot be
    read could be that address: a person decides. `gateways` comes from `joins.plan_context`."""
    gateways = context.extra.get("gateways")
    if not isinstance(gateways, list):
        raise CannotPlan("the AI gateways' addresses were not read: whether the address is a gateway's is unknown; a person decides")
    for gateway in gateways:
        name = str(gateway.get("gateway") or "").rsplit("/", 1)[-1]
        where = "the AI gateway that fronts this account" if gateway.get("fronts") else "an AI gateway the policy declares"
        addresses = gateway.get("addresses")
        if addresses is None:
            raise CannotPlan(f"{where} ({name}) could not be read: {address} may be its address; a person decides")
        if any(_network(str(a)) == ipaddress.ip_network(address) for a in addresses):
            raise CannotPlan(
                f"{address} is the address of {where} ({name}): blocking it would cut off every caller behind the gateway; "
                "a person decides (find the caller in the gateway's logs)"
            )


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    raw = context.extra.get("ip_address")
    try:
        address = ipaddress.ip_address(str(raw or "").strip())
    except ValueError as e:
        raise CannotPlan("the alert names no caller address to block") from e
    if str(get_path(resource, "properties.publicNetworkAccess") or "").lower() == "disabled":
        return None
    _never_a_gateway(address, context)
    acls = get_path(resource, "properties.networkAcls")
    acls = copy.deepcopy(dict(acls)) if isinstance(acls, Mapping) else {}
    rules = [r for r in acls.get("ipRules") or [] if isinstance(r, Mapping)]
    kept, dropped = [], []
    for rule in rules:
        net = _network(str(rule.get("value") or ""))
        if net is not None and address in net:
            if net.num_addresses > 1:
                raise CannotPlan(f"{address} is inside the allowed range {net}: narrow that range by hand")
            dropped.append(rule)
        else:
            kept.append(dict(rule))
    deny = str(acls.get("defaultAction") or "Allow").lower() == "deny"
    if deny and not dropped:
        return None  # the address is not let in
    wanted = {**acls, "defaultAction": "Deny", "ipRules": kept}
    wanted.setdefault("virtualNetworkRules", [])
    if deny:
        summary = f"remove {address} from the account's allowed IP rules"
    else:
        summary = (
            f"block {address}: the account let every address in (defaultAction Allow), so it now denies every public address "
            f"except the {len(kept)} allowed IP rule(s) and its virtual network rules"
        )
    return patch_plan(ID, resource, {"properties.networkAcls": wanted}, summary)


REMEDIATION = Remediation(
    ID,
    "Block a caller's IP address on an AI account",
    COGNITIVE_ACCOUNT,
    COGNITIVE_WRITE,
    plan,
    touches=(
        "Takes the caller's address out of the account's network rules; where the account let every address in, "
        "it now denies every public address not in its IP or virtual network rules, so other callers without one "
        "(apps, notebooks, the portal's playground) are cut off too until they are listed or use a private endpoint."
    ),
)
