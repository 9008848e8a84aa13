"""Large estates for benchmarks: a reproducible mix of AI resources, about a sixth of them drifted."""

from __future__ import annotations

import random
from collections.abc import Iterator

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


def estate(count: int, *, seed: int = 7, with_settings: bool = True) -> Estate:
    """An estate of `count` resources plus, optionally, the child settings Resource Graph does not index
    (diagnostic and Defender for AI settings), which `--deep` reads through ARM."""
    e = Estate()
    rng = random.Random(seed + 1)
    for r in resources(count, seed=seed):
        e.put(r)
        if with_settings and r["type"] == "Microsoft.CognitiveServices/accounts":
            e.put(b.defender_setting(r["id"], enabled=rng.random() > 0.1))
            if rng.random() > 0.2:
                e.put(b.diagnostic_setting(r["id"], LAW))
    for i in range(1, 11):
        e.put(b.pricing(subscription(i), standard=i % 3 != 0))
    return e
