"""`make console` is seeded with the demo's whole story: every kind of case an approver meets can be
tried there (caller-caused, two approvers, flapping, access removal, rollback), people named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from driftguard import compose
from driftguard.cases.api import ApprovalApi
from driftguard.demo import DEVELOPER, PIPELINE
from driftguard.policy import load_policy
from driftguard.store.base import CaseStatus
from functions.devhost import seed_story
from tests.cases.conftest import ROOT


def test_the_console_is_seeded_with_the_whole_demo_story(tmp_path: Path) -> None:
    policy = load_policy(ROOT / "examples" / "policy.json")
    world = compose.SimulatedWorld(tmp_path, policy)
    world.sweep()
    seed_story(world, policy)
    api = ApprovalApi(lambda: world.desk(policy), easy_auth=True, people=world.directory().principals)
    opened = list(world.store.cases(status=CaseStatus.OPEN))
    caused = [c for c in opened if DEVELOPER in c.causers]
    assert caused, "no case caused by the developer"
    privileged = [c for c in opened if c.rule == "authorization_roleassignment_privileged_not_standing"]
    removal = next(c for c in privileged if DEVELOPER in c.causers)
    assert (len(removal.valid_approvals), api.desk.approvers_needed(removal)) == (1, 2)
    # A high case (as the README says), two approvers because the policy lists its rule as critical.
    assert api.detail(removal)["severity"] == "high"
    assert removal.rule in policy.approvals.critical_rules
    assert any(PIPELINE in c.causers for c in opened), "no case naming the flapping pipeline"
    applied = [c for c in world.store.cases(status=CaseStatus.APPLIED) if c.applied_plan]
    assert applied, "no applied fix to roll back"
    assert api.people(removal)[DEVELOPER]["name"] == "Dana Developer"
    # The access review's removals carry their evidence of use, and name the deleted principal so.
    reviewed = [api.detail(c) for c in opened if c.evidence.get("activity")]
    assert {d["access"]["principal_id"][-4:] for d in reviewed} >= {"a001", "c003"}
    assert all(d["access"]["use"] for d in reviewed)
    incidents = [c for c in opened if c.kind.value == "incident"]
    assert len(incidents) == 2, "the Defender for AI alerts are incident cases"
    assert any(c.plan_digest for c in incidents), "no incident with a playbook to approve"
    # The canary probes' case (demo step 10): the deployment behind the relaxed filter lets attacks through.
    probed = [c for c in opened if c.rule == "cognitiveservices_deployment_canary_probe_blocked"]
    assert len(probed) == 1, "no canary-probe case"
    assert probed[0].resource_id.endswith("/deployments/gpt-4o-mini")
    assert "2 of 4" in probed[0].reason, probed[0].reason
    # Cases of different ages: the flapping pipeline's past its SLA, the key listing more than a day old,
    # the rest fresh; each dated as its event was.
    now = datetime.now(UTC)
    flapping = next(c for c in opened if PIPELINE in c.causers)
    assert timedelta(days=5) <= now - flapping.opened_at < timedelta(days=5, hours=1)
    assert now - flapping.opened_at > timedelta(hours=policy.approvals.sla_hours)
    keys = next(c for c in opened if c.rule == "cognitiveservices_account_keys_not_exposed")
    assert timedelta(hours=30) <= now - keys.opened_at < timedelta(hours=31)
    assert str(keys.evidence["event_time"]).startswith(keys.opened_at.isoformat()[:16])
    assert now - removal.opened_at < timedelta(hours=1)
