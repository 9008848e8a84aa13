"""Rejects a private endpoint connection from a subscription or tenant the policy does not allow.
The connection to reject comes from the finding's evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan, Step
from remediations.base import CannotPlan, PlanContext, Remediation, canonical_id, get_path

ID = "private_endpoint_connection_reject"


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    wanted = str(context.extra.get("connection", "")).rsplit("/", 1)[-1].lower()
    rid = canonical_id(resource)
    for conn in get_path(resource, "properties.privateEndpointConnections") or []:
        name = str(conn.get("name", ""))
        if name.lower() != wanted:
            continue
        state = get_path(conn, "properties.privateLinkServiceConnectionState") or {}
        if str(state.get("status", "")).lower() == "rejected":
            return None
        body = {
            "properties": {
                "privateLinkServiceConnectionState": {
                    "status": "Rejected",
                    "description": "Rejected by DriftGuard: endpoint outside the allowed subscriptions or tenants",
                }
            }
        }
        step = Step("PUT", f"{rid}/privateEndpointConnections/{name}", api_versions.for_type(str(resource.get("type"))), body)
        return Plan(
            ID,
            rid,
            (step,),
            {f"connection.{name}.status": state.get("status")},
            {f"connection.{name}.status": "Rejected"},
            f"reject private endpoint connection {name!r}",
        )
    raise CannotPlan(f"private endpoint connection {wanted!r} is not on the resource any more")


REMEDIATION = Remediation(
    ID,
    "Reject a private endpoint connection",
    ("Microsoft.CognitiveServices/accounts", "Microsoft.Search/searchServices", "Microsoft.MachineLearningServices/workspaces"),
    (
        "Microsoft.CognitiveServices/accounts/privateEndpointConnections/write",
        "Microsoft.Search/searchServices/privateEndpointConnections/write",
        "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections/write",
    ),
    plan,
    touches="Rejects the private endpoint connection: the network behind that endpoint (another subscription or tenant) can no longer reach the resource through it.",
)
