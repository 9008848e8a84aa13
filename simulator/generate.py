"""Large estates for benchmarks: a reproducible mix of AI resources, about a sixth of them drifted."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator import builders as b
from simulator.state import JSON, Estate

LAW = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law"


def subscription(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-{i:012x}"


def resources(count: int, *, seed: int = 7, subscriptions: int = 10) -> Iterator[JSON]:
    """Exactly `count` resources: per unit an AI account, its deployments and RAI policy, its storage,
    and now and then a Search service or an ML workspace."""
    rng = random.Random(seed)
    made = 0
    unit = 0

    def drift(p: float = 0.15) -> bool:
        return rng.random() < p

    while made < count:
        sub = subscription(unit % subscriptions + 1)
        rg = f"rg-ai-{unit // 50:04d}"
        storage = b.storage_account(sub, rg, f"st{unit:08d}", public=drift(), blob_public=drift(0.05), shared_key=drift())
        account = b.cognitive_account(
            sub,
            rg,
            f"oai-{unit:06d}",
            public=drift(),
            default_action="Allow" if drift() else "Deny",
            local_auth=drift(),
            outbound_restricted=not drift(),
            identity=not drift(0.05),
            user_owned_storage=[storage["id"]],
        )
        batch = [account, storage]  # the order of Resource Graph's `order by id`: CognitiveServices < Storage
        batch.append(b.deployment(account["id"], "gpt-4o", rai_policy="strict" if not drift() else "Microsoft.Default"))
        if unit % 2 == 0:
            batch.append(b.deployment(account["id"], "embed", model="text-embedding-3-large", version="1", rai_policy="strict"))
        # After the deployments, as Resource Graph's id order puts them (deployments < raiPolicies).
        batch.append(b.rai_policy(account["id"], "strict", jailbreak=not drift(0.05)))
        if unit % 5 == 0:
            batch.append(b.search_service(sub, rg, f"srch-{unit:06d}", public=drift(), local_auth=drift()))
        if unit % 7 == 0:
            batch.append(b.workspace(sub, rg, f"mlw-{unit:06d}", public=drift(), storage=storage["id"]))
        for r in batch:
            if made >= count:
                return
            made += 1
            yield r
        unit += 1


def estate(count: int, *, seed: int = 7, with_settings: bool = True, subscriptions: int = 10) -> Estate:
    """An estate of `count` resources plus, optionally, the child settings Resource Graph does not index
    (diagnostic and Defender for AI settings), which `--deep` reads through ARM."""
    e = Estate()
    rng = random.Random(seed + 1)
    for r in resources(count, seed=seed, subscriptions=subscriptions):
        e.put(r)
        if with_settings and r["type"] == "Microsoft.CognitiveServices/accounts":
            e.put(b.defender_setting(r["id"], enabled=rng.random() > 0.1))
            if rng.random() > 0.2:
                e.put(b.diagnostic_setting(r["id"], LAW))
    for i in range(1, 11):
        e.put(b.pricing(subscription(i), standard=i % 3 != 0))
    return e


ROLE_MIX = (
    ("acdd72a7-3385-48ef-bd42-f606fba81ae7", 30),  # Reader
    ("5e0bd9bd-7b93-4f28-af87-19fc36ad61bd", 25),  # Cognitive Services OpenAI User
    ("64702f94-c441-49e6-a78b-ef80e0188fee", 15),  # Azure AI Developer
    ("ba92f5b4-2d11-453d-a403-e96b0029c9fe", 10),  # Storage Blob Data Contributor
    ("b24988ac-6180-42a0-ab88-20f7382dd24c", 8),  # Contributor
    ("25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68", 7),  # Cognitive Services Contributor
    ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", 5),  # Owner
)


def tenant(sim: Any, *, assignments: int, principals: int, seed: int = 5, days: int = 90) -> None:
    """A large tenant on top of the simulator's estate: principals (some deleted since), persona groups,
    role assignments spread over the AI resources, their resource groups and subscriptions, and 90 days
    of activity, mostly attributed by roleAssignmentId as Azure does, some only by caller."""
    from simulator.roles import BUILT_IN, role_assignment, role_definition

    rng = random.Random(seed)
    for guid in BUILT_IN:
        sim.estate.put(role_definition(guid))
    scopes: list[str] = []
    for r in sim.estate.raw_items():
        if r["type"] in (
            "Microsoft.CognitiveServices/accounts",
            "Microsoft.MachineLearningServices/workspaces",
            "Microsoft.Search/searchServices",
        ):
            scopes.append(r["id"])
    groups = [f"9{g:07x}-0000-4000-8000-00000000feed" for g in range(4)]
    for g in groups:
        sim.directory.add(g, "Group", f"persona-{g[:8]}")
    people = [f"{p:08x}-2222-4000-8000-{p:012x}" for p in range(1, principals + 1)]
    for p in people:
        if rng.random() < 0.95:  # 5% were deleted from the directory since they got access
            kind = "ServicePrincipal" if rng.random() < 0.2 else "User"
            sim.directory.add(p, kind, f"p-{p[:8]}", groups=(rng.choice(groups),) if kind == "User" else ())
    roles = [guid for guid, weight in ROLE_MIX for _ in range(weight)]
    now = datetime.now(UTC)
    for n in range(assignments):
        resource = rng.choice(scopes)
        level = rng.random()
        sub, rg = resource.split("/")[2], resource.split("/")[4]
        scope = resource if level < 0.7 else f"/subscriptions/{sub}/resourceGroups/{rg}" if level < 0.95 else f"/subscriptions/{sub}"
        name = f"{n:08x}-3333-4000-8000-{n:012x}"
        who = rng.choice(people)
        created = (now - timedelta(days=rng.randint(1, 700))).isoformat().replace("+00:00", "Z")
        sim.estate.put(role_assignment(scope, name, rng.choice(roles), who, principal_type="User", created_on=created, sub=sub))
        used = rng.random()
        if used < 0.6:  # used lately, and Azure names the assignment
            sim.writes.activity.append(
                {
                    "TimeGenerated": now - timedelta(days=rng.randint(0, days - 1), hours=1),
                    "Caller": sim.directory.caller(who, who),
                    "_ResourceId": resource,
                    "OperationNameValue": "x/action",
                    "roleAssignmentId": name.replace("-", ""),
                }
            )
        elif used < 0.7:  # used, known only by caller and resource
            sim.writes.activity.append(
                {
                    "TimeGenerated": now - timedelta(days=rng.randint(0, days - 1), hours=2),
                    "Caller": sim.directory.caller(who, who),
                    "_ResourceId": resource,
                    "OperationNameValue": "x/read",
                    "roleAssignmentId": "",
                }
            )
    sim.writes.activity.append(
        {
            "TimeGenerated": now - timedelta(hours=1),
            "Caller": sim.directory.caller(people[0], people[0]),
            "_ResourceId": scopes[0],
            "OperationNameValue": "x/read",
            "roleAssignmentId": "",
        }
    )
