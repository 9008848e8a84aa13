"""Runs Cloud Custodian (c7n, c7n-azure) inside its own virtualenv against the HTTPS simulator.

Started by `python -m bench peers` with the peers virtualenv's Python; imports nothing of DriftGuard.
Cloud Custodian takes its ARM endpoint from msrestazure's public-cloud endpoints object, set here
before its CLI starts; the token comes from AZURE_ACCESS_TOKEN, the subscription from
AZURE_SUBSCRIPTION_ID and the local CA from REQUESTS_CA_BUNDLE (all set by the caller).

    peers_launcher.py pull POLICY.yml OUTPUT_DIR      -> custodian run (pull mode)
    peers_launcher.py event POLICY.yml EVENTS.json    -> the azure-event-grid mode's handler, per event

The last line printed is one JSON object: the matched resource ids (per policy, in pull mode) and this
process's peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path


def _point_at_simulator() -> None:
    from msrestazure.azure_cloud import AZURE_PUBLIC_CLOUD

    AZURE_PUBLIC_CLOUD.endpoints.resource_manager = os.environ["PEER_ARM_ENDPOINT"]


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def pull(policy_file: str, output_dir: str) -> dict[str, object]:
    from c7n.cli import main

    # A cache of this run only: policies on the same resource type share its listing, as in everyday use,
    # and nothing is left for a later run to find.
    cache = f"{output_dir}.cache"
    try:
        main(["run", "-s", output_dir, "--cache", cache, "--cache-period", "60", policy_file])
    except SystemExit as e:
        if e.code not in (0, None):
            raise
    matched: dict[str, list[str]] = {}
    for found in Path(output_dir).rglob("resources.json"):  # one per policy: <output>/<policy name>/resources.json
        matched[found.parent.name] = sorted(r["id"] for r in json.loads(found.read_text()))
    return {"matched": matched, "peak_rss_mb": _peak_mb()}


def event(policy_file: str, events_file: str) -> dict[str, object]:
    import tempfile

    import yaml
    from c7n.config import Config
    from c7n.loader import PolicyLoader
    from c7n.resources import load_resources
    from c7n_azure.policy import AzureModeCommon

    load_resources(("azure.*",))
    data = yaml.safe_load(Path(policy_file).read_text())
    with tempfile.TemporaryDirectory() as out:
        policies = list(PolicyLoader(Config.empty(output_dir=out)).load_data(data, file_uri=policy_file))
        matched: list[str] = []
        for raw in json.loads(Path(events_file).read_text()):
            policy = policies[0]
            AzureModeCommon.run_for_event(policy, raw)
            for found in Path(out).rglob("resources.json"):
                matched.extend(r["id"] for r in json.loads(found.read_text()))
                found.unlink()
    return {"matched": sorted(set(matched)), "peak_rss_mb": _peak_mb()}


if __name__ == "__main__":
    _point_at_simulator()
    mode, *args = sys.argv[1:]
    result = pull(*args) if mode == "pull" else event(*args)
    print(json.dumps(result))
