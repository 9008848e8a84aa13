"""The bundled sample estate: two subscriptions of AI resources, some in their baseline and some drifted.

Every drifted setting is one a real team loses: public access re-enabled for debugging, keys back on,
a relaxed content filter, storage opened up, logs missing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from simulator import builders as b
from simulator.roles import BUILT_IN, GRANTER, role_assignment, role_definition
from simulator.state import Estate

if TYPE_CHECKING:
    from simulator.core import Simulator

PROD = "11111111-1111-4111-8111-111111111111"
DEV = "22222222-2222-4222-8222-222222222222"
MANAGEMENT_GROUP = "contoso-ai"
LAW = f"/subscriptions/{PROD}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-security"
GATEWAY_RG = "rg-ai-gateway"
GATEWAY = f"/subscriptions/{PROD}/resourceGroups/{GATEWAY_RG}/providers/Microsoft.ApiManagement/service/apim-contoso-ai"
GATEWAY_SUBNET = f"/subscriptions/{PROD}/resourceGroups/{GATEWAY_RG}/providers/Microsoft.Network/virtualNetworks/vnet-ai/subnets/snet-apim"
GATEWAY_IP = "20.85.16.101"
FOREIGN_PE = (
    "/subscriptions/99999999-9999-4999-8999-999999999999/resourceGroups/rg-partner/providers/Microsoft.Network/privateEndpoints/pe-partner"
)


def build() -> Estate:
    e = Estate()
    p_rg, d_rg = "rg-ai-prod", "rg-ai-dev"

    # --- production: mostly in baseline ---
    st_hub = b.storage_account(PROD, p_rg, "stmlhubprod")
    st_oai = b.storage_account(PROD, p_rg, "stoaidataprod", shared_key=True)  # drift: shared keys back on
    oai = b.cognitive_account(
        PROD, p_rg, "oai-contoso-prod", user_owned_storage=[st_oai["id"]], tags={"data-classification": "confidential"}, cmk=True
    )
    oai_eu = b.cognitive_account(
        PROD,
        p_rg,
        "oai-contoso-prod-eu",
        kind="AIServices",
        location="westeurope",
        public=True,
        default_action="Allow",
        local_auth=True,  # drift: opened "to debug"
        ip_rules=["0.0.0.0/0"],
        outbound_restricted=False,
        tags={"data-classification": "confidential"},
        private_endpoints=[FOREIGN_PE],
    )
    hub = b.workspace(PROD, p_rg, "mlw-hub-prod", storage=st_hub["id"])
    project = b.workspace(PROD, p_rg, "mlw-proj-chat", kind="Project", public=True, isolation=None, datastore_auth=None, hub_id=hub["id"])
    srch = b.search_service(PROD, p_rg, "srch-contoso-prod")
    srch_open = b.search_service(PROD, p_rg, "srch-contoso-rag", public=True, local_auth=True)  # drift
    # Code-execution sandboxes for the agents: a custom-container session pool in baseline (no egress,
    # bounded sessions, image pulled with an identity).
    pool = b.session_pool(PROD, p_rg, "pool-agents-prod")
    # The AI gateway (API Management, injected in the gateway subnet) fronts two accounts: the prod
    # account, closed to the public network and called with the gateway's identity; and the chat
    # account, onboarded in a hurry: it still lets a developer's address in beside the gateway's
    # (gateway bypass), its backend sends the account key kept in a named value, and the gateway's
    # identity holds Cognitive Services User (which lists keys) on it.
    apim = b.apim_service(PROD, GATEWAY_RG, "apim-contoso-ai", public_ips=[GATEWAY_IP], subnet=GATEWAY_SUBNET)
    oai_chat = b.cognitive_account(
        PROD, p_rg, "oai-contoso-chat", public=True, default_action="Deny", ip_rules=[GATEWAY_IP, "198.51.100.23"]
    )
    # The partner's private endpoint the EU account approved, in the partner's own network.
    partner_pe = b.private_endpoint(
        FOREIGN_PE.split("/")[2],
        "rg-partner",
        "pe-partner",
        subnet="/subscriptions/99999999-9999-4999-8999-999999999999/resourceGroups/rg-partner/providers/Microsoft.Network/virtualNetworks/vnet-partner/subnets/snet-pe",
        target=oai_eu["id"],
        location="westeurope",
    )
    e.put_many([st_hub, st_oai, oai, oai_eu, hub, project, srch, srch_open, pool, apim, oai_chat, partner_pe])
    e.put_many(
        [
            b.apim_backend(apim["id"], "oai-contoso-prod", account_endpoint=oai["properties"]["endpoint"]),
            b.apim_backend(apim["id"], "oai-contoso-chat", account_endpoint=oai_chat["properties"]["endpoint"], key_header="oai-chat-key"),
            b.apim_named_value(apim["id"], "oai-chat-key"),
            b.apim_named_value(apim["id"], "tokens-per-minute", secret=False, value="20000"),
            b.defender_setting(oai_chat["id"]),
            b.diagnostic_setting(oai_chat["id"], LAW),
        ]
    )
    e.put_many(
        [
            b.storage_account(PROD, "rg-web", "stwebassets", public=True, blob_public=True, shared_key=True),  # not AI data: out of scope
            b.deployment(oai["id"], "gpt-4o", rai_policy="strict-prod"),
            b.deployment(oai["id"], "gpt-4o-mini", model="gpt-4o-mini", version="2024-07-18", rai_policy="relaxed-debug"),  # drift
            b.deployment(
                oai["id"], "text-embedding-3-large", model="text-embedding-3-large", version="1", rai_policy="Microsoft.DefaultV2"
            ),
            b.deployment(
                oai_eu["id"],
                "gpt-35-turbo",
                model="gpt-35-turbo",
                version="0301",
                rai_policy="Microsoft.Default",
                upgrade="OnceNewDefaultVersionAvailable",
            ),  # unapproved model, no Prompt Shields
            b.rai_policy(oai["id"], "strict-prod"),
            b.rai_policy(oai["id"], "relaxed-debug", jailbreak=False, harm_threshold="High"),
            b.defender_setting(oai["id"]),
            b.defender_setting(oai_eu["id"], enabled=False),
            b.diagnostic_setting(oai["id"], LAW),
            b.diagnostic_setting(hub["id"], LAW),
            b.diagnostic_setting(srch["id"], LAW, category_group="audit"),
            b.diagnostic_setting(oai_eu["id"], LAW, enabled=False),  # drift: logs switched off
            b.pricing(PROD, standard=True),
        ]
    )
    # Defender for AI saw a jailbreak get past the relaxed filter of gpt-4o-mini (detected, not blocked),
    # and a known-bad address call the EU account.
    recently = datetime.now(UTC) - timedelta(minutes=12)
    e.put_many(
        [
            b.defender_alert(
                oai["id"],
                "2517538088322968242_5e0c1f4a-0000-4000-8000-00000000a1e1",
                alert_type="AI.Azure_Jailbreak.ContentFiltering.DetectedAttempt",
                display_name="A Jailbreak attempt on an Azure AI model deployment was detected by Azure AI Content Safety Prompt Shields",
                severity="Medium",
                generated=recently,
                entities=[{"$id": "1", "type": "ip", "address": "203.0.113.45"}],
                extended={"Deployment Name": "gpt-4o-mini"},
            ),
            b.defender_alert(
                oai_eu["id"],
                "2517538088322968242_5e0c1f4a-0000-4000-8000-00000000a1e2",
                alert_type="AI.Azure_AccessFromSuspiciousIP",
                display_name="Access from suspicious IP",
                severity="High",
                generated=recently + timedelta(minutes=3),
                entities=[{"$id": "1", "type": "ip", "address": "198.51.100.23"}],
                location="westeurope",
            ),
        ]
    )

    # --- development: looser, several findings ---
    st_dev = b.storage_account(DEV, d_rg, "stmldev", public=True, blob_public=True, shared_key=True)
    oai_dev = b.cognitive_account(
        DEV, d_rg, "oai-contoso-dev", public=True, default_action="Deny", ip_rules=["203.0.113.0/24", "198.51.0.0/15"], identity=False
    )
    e.put_many(
        [
            st_dev,
            oai_dev,
            b.cognitive_account(DEV, d_rg, "ai-contoso-lab", kind="AIServices", fqdns=["contoso-docs.search.windows.net", "pastebin.com"]),
            b.workspace(
                DEV, d_rg, "mlw-dev", kind="Default", public=True, isolation="Disabled", datastore_auth="AccessKey", storage=st_dev["id"]
            ),
            b.search_service(DEV, d_rg, "srch-contoso-dev", public=True, ip_rules=["203.0.113.10"], sku="free", identity=False),
            b.storage_account(DEV, d_rg, "sttrainingdata", blob_public=True, tags={"driftguard-ai-data": "true"}),
            b.session_pool(DEV, d_rg, "pool-agents-dev", egress=True),  # drift: sandboxes let out "to pip install"
            b.deployment(oai_dev["id"], "gpt-4o", rai_policy=None),
            b.defender_setting(oai_dev["id"]),
            b.diagnostic_setting(oai_dev["id"], LAW),
            b.pricing(DEV, standard=False),
        ]
    )

    # --- identity: the built-in roles and a few assignments (used by access reviews) ---
    e.put_many(role_definition(guid) for guid in BUILT_IN)
    e.put_many(
        [
            role_assignment(
                f"/subscriptions/{PROD}",
                "0f6b0c1e-0001-4a00-8000-000000000001",
                "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
                "a1b2c3d4-0000-4000-8000-00000000a001",
            ),
            role_assignment(
                oai["id"],
                "0f6b0c1e-0002-4a00-8000-000000000002",
                "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
                "a1b2c3d4-0000-4000-8000-00000000b002",
                principal_type="ServicePrincipal",
            ),
            role_assignment(
                f"/subscriptions/{PROD}/resourceGroups/{p_rg}",
                "0f6b0c1e-0003-4a00-8000-000000000003",
                "b24988ac-6180-42a0-ab88-20f7382dd24c",
                "a1b2c3d4-0000-4000-8000-00000000c003",
                created_on="2026-02-10T09:30:00.0000000Z",
            ),
            # Cognitive Services Contributor for a data scientist: off-persona and privileged
            role_assignment(
                oai["id"],
                "0f6b0c1e-0004-4a00-8000-000000000004",
                "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68",
                "a1b2c3d4-0000-4000-8000-00000000d004",
                created_on="2026-07-21T16:05:00.0000000Z",  # the creep the review's chart shows
            ),
            # Owner activated through PIM for an on-call engineer: time-bound, not standing
            role_assignment(
                f"/subscriptions/{PROD}",
                "0f6b0c1e-0006-4a00-8000-000000000006",
                "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
                "a1b2c3d4-0000-4000-8000-00000000f006",
            ),
            {
                "id": f"/subscriptions/{PROD}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances/5c4b3a29-0006-4a00-8000-000000000006",
                "name": "5c4b3a29-0006-4a00-8000-000000000006",
                "type": "Microsoft.Authorization/roleAssignmentScheduleInstances",
                "properties": {
                    "scope": f"/subscriptions/{PROD}",
                    "roleDefinitionId": f"/subscriptions/{PROD}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
                    "principalId": "a1b2c3d4-0000-4000-8000-00000000f006",
                    "principalType": "User",
                    "assignmentType": "Activated",
                    "memberType": "Direct",
                    "originRoleAssignmentId": f"/subscriptions/{PROD}/providers/Microsoft.Authorization/roleAssignments/0f6b0c1e-0006-4a00-8000-000000000006",
                    "linkedRoleEligibilityScheduleInstanceId": f"/subscriptions/{PROD}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances/e1e1e1e1-0006-4a00-8000-000000000006",
                    "startDateTime": "2026-11-29T08:00:00Z",
                    "endDateTime": "2026-11-29T16:00:00Z",
                },
            },
            # The gateway's identity: OpenAI User on the prod account (what it needs), Cognitive Services
            # User on the chat account (it also lists the keys)
            role_assignment(
                oai["id"],
                "0f6b0c1e-0007-4a00-8000-000000000007",
                "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
                apim["identity"]["principalId"],
                principal_type="ServicePrincipal",
            ),
            role_assignment(
                oai_chat["id"],
                "0f6b0c1e-0008-4a00-8000-000000000008",
                "a97b65f3-24c7-4388-baec-2e87135dc908",
                apim["identity"]["principalId"],
                principal_type="ServicePrincipal",
            ),
            # Owner for an IT administrator: allowed standing
            role_assignment(
                f"/subscriptions/{PROD}",
                "0f6b0c1e-0005-4a00-8000-000000000005",
                "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
                "a1b2c3d4-0000-4000-8000-00000000e005",
            ),
        ]
    )
    return e


DATA_SCIENTISTS = "d5d5d5d5-0000-4000-8000-0000000000d5"
IT_ADMINS = "adadadad-0000-4000-8000-0000000000ad"


def seed_directory(sim: Simulator) -> None:
    """The tenant's principals and the activity Log Analytics would hold, for the access review.

    Planted: an escalated user (standing Owner on the subscription, not an IT administrator), an
    orphaned assignment (its principal was deleted), an off-persona data scientist (Cognitive Services
    Contributor on an account), and an unused workload identity (no activity in 90 days)."""
    d = sim.directory
    d.add(IT_ADMINS, "Group", "it-administrators")
    d.add(DATA_SCIENTISTS, "Group", "data-scientists")
    d.add("a1b2c3d4-0000-4000-8000-00000000a001", "User", "Alice Okafor", upn="alice.okafor@contoso.com")  # Owner on the subscription
    d.add("a1b2c3d4-0000-4000-8000-00000000b002", "ServicePrincipal", "chat-backend")  # OpenAI User, unused
    # a1b2c3d4-...c003 (Contributor on the resource group) no longer exists: orphaned
    d.add("a1b2c3d4-0000-4000-8000-00000000d004", "User", "Dana Silva", upn="dana.silva@contoso.com", groups=(DATA_SCIENTISTS,))
    d.add("a1b2c3d4-0000-4000-8000-00000000e005", "User", "Erin Walsh", upn="erin.walsh@contoso.com", groups=(IT_ADMINS,))
    d.add("a1b2c3d4-0000-4000-8000-00000000f006", "User", "Frank Moreau", upn="frank.moreau@contoso.com")
    d.add(GRANTER, "User", "Priya Platform", upn="priya.platform@contoso.com")  # made the assignments
    d.add(b.uuid_like(GATEWAY + "/identity"), "ServicePrincipal", "apim-contoso-ai")  # the gateway's system-assigned identity
    now = datetime.now(UTC)
    for caller, resource, days in (
        ("a1b2c3d4-0000-4000-8000-00000000a001", f"/subscriptions/{PROD}/resourceGroups/rg-ai-prod", 2),
        (
            "a1b2c3d4-0000-4000-8000-00000000d004",
            f"/subscriptions/{PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod",
            1,
        ),
        ("a1b2c3d4-0000-4000-8000-00000000e005", f"/subscriptions/{PROD}", 0),
    ):
        sim.writes.activity.append(
            {
                "TimeGenerated": now - timedelta(days=days, hours=1),
                "Caller": d.caller(caller, caller),  # a UPN, as the Activity Log names users
                "_ResourceId": resource,
                "OperationNameValue": "x/write",
                "roleAssignmentId": "",
            }
        )


MANAGEMENT_GROUPS = {MANAGEMENT_GROUP: [PROD, DEV]}
SUBSCRIPTIONS = (PROD, DEV)
