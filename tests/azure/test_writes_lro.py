"""The writer follows long-running operations as Microsoft's specs answer them, within its time budget.

Accounts_Update and Workspaces_Update answer 200 or 202, Deployments_CreateOrUpdate 200 or 201 with
`Azure-AsyncOperation`; an `Azure-AsyncOperation` poll answers 200 with a `status`, a `Location` poll 202
while running and 200/204 when done.
"""

from __future__ import annotations

import time

import pytest

from driftguard.azure.writes import ArmWriter, TransientWriteError, VerificationFailed, WriteFailed
from driftguard.model import Plan, Step
from tests.azure.fake_arm import ACCOUNT, BASE_URL, DEPLOYMENT, Answer, FakeArm

API = "2025-09-01"
PATCH = {"properties": {"publicNetworkAccess": "Disabled"}}
FIXED = {"id": ACCOUNT, "name": "oai", "properties": {"publicNetworkAccess": "Disabled", "provisioningState": "Succeeded"}}
STALE = {"id": ACCOUNT, "name": "oai", "properties": {"publicNetworkAccess": "Enabled", "provisioningState": "Succeeded"}}
OPERATION = f"{BASE_URL}/subscriptions/s1/providers/Microsoft.CognitiveServices/locations/eastus/operationResults/op1"
STATUS = f"{BASE_URL}/subscriptions/s1/providers/Microsoft.CognitiveServices/locations/eastus/operationStatuses/op1"


def plan(*steps: Step) -> Plan:
    return Plan("test", ACCOUNT, steps, {}, {}, "test")


def patch_account() -> Plan:
    return plan(Step("PATCH", ACCOUNT, API, PATCH))


def writer(fake: FakeArm, **options: float) -> ArmWriter:
    return ArmWriter(fake.raw_arm(), BASE_URL, **{"poll_interval_s": 0.0, **options})


def test_a_location_poll_answering_202_is_still_running() -> None:
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(202, None, {"Location": OPERATION, "Retry-After": "0"}))
    fake.on("GET", OPERATION, Answer(202, None, {"Location": OPERATION, "Retry-After": "0"}), Answer(202), Answer(200, FIXED))
    fake.on("GET", ACCOUNT, Answer(200, FIXED))
    applied = writer(fake).apply(patch_account())
    assert len(fake.calls("GET", OPERATION)) == 3  # 202, 202, then 200: done
    assert [s.path for s in fake.seen][-1] == ACCOUNT  # the read-back comes after the operation ended
    assert applied.read_back[ACCOUNT]["properties"]["publicNetworkAccess"] == "Disabled"


def test_a_location_poll_answering_204_is_done() -> None:
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(202, None, {"Location": OPERATION}))
    fake.on("GET", OPERATION, Answer(202), Answer(204))
    fake.on("GET", ACCOUNT, Answer(200, FIXED))
    writer(fake).apply(patch_account())
    assert len(fake.calls("GET", OPERATION)) == 2


@pytest.mark.parametrize("status", [200, 201, 202])
def test_azure_async_operation_is_followed_on_every_accepted_status(status: int) -> None:
    deployment = {"id": DEPLOYMENT, "name": "gpt", "properties": {"raiPolicyName": "strict"}}
    fake = FakeArm()
    fake.on(
        "PUT", DEPLOYMENT, Answer(status, {**deployment, "properties": {"provisioningState": "Creating"}}, {"Azure-AsyncOperation": STATUS})
    )
    fake.on(
        "GET", STATUS, Answer(200, {"status": "InProgress"}), Answer(200, {"status": "InProgress"}), Answer(200, {"status": "Succeeded"})
    )
    fake.on("GET", DEPLOYMENT, Answer(200, deployment))
    writer(fake).apply(plan(Step("PUT", DEPLOYMENT, API, {"properties": {"raiPolicyName": "strict"}})))
    assert len(fake.calls("GET", STATUS)) == 3
    assert fake.calls("GET", DEPLOYMENT)[0].at >= fake.calls("GET", STATUS)[-1].at


def test_azure_async_operation_is_preferred_to_location() -> None:
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(202, None, {"Location": OPERATION, "Azure-AsyncOperation": STATUS}))
    fake.on("GET", STATUS, Answer(200, {"status": "Succeeded"}))
    fake.on("GET", ACCOUNT, Answer(200, FIXED))
    writer(fake).apply(patch_account())
    assert len(fake.calls("GET", STATUS)) == 1
    assert fake.calls("GET", OPERATION) == []


@pytest.mark.parametrize("ending", ["Failed", "Canceled"])
def test_a_failed_operation_is_write_failed_with_arms_reason(ending: str) -> None:
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(202, None, {"Azure-AsyncOperation": STATUS}))
    fake.on(
        "GET",
        STATUS,
        Answer(200, {"status": "InProgress"}),
        Answer(200, {"status": ending, "error": {"code": "NetworkAclsConflict", "message": "the subnet is gone"}}),
    )
    with pytest.raises(WriteFailed, match=f"the operation {ending.lower()}: NetworkAclsConflict: the subnet is gone"):
        writer(fake).apply(patch_account())
    assert fake.calls("GET", ACCOUNT) == []  # no read-back of a failed write


def test_a_poll_url_on_another_host_is_refused_and_gets_no_token() -> None:
    elsewhere = "https://collector.example.net/subscriptions/s1/operationStatuses/op1"
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(202, None, {"Azure-AsyncOperation": elsewhere}))
    fake.on("GET", elsewhere, Answer(200, {"status": "Succeeded"}))
    with pytest.raises(WriteFailed, match=r"collector\.example\.net, not the ARM endpoint"):
        writer(fake).apply(patch_account())
    assert {s.host for s in fake.seen} == {"management.fake.local"}  # the adapter sees every host: nothing went there


def test_a_poll_over_plain_http_is_refused() -> None:
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(202, None, {"Location": OPERATION.replace("https://", "http://")}))
    with pytest.raises(WriteFailed, match="not the ARM endpoint"):
        writer(fake).apply(patch_account())


def test_an_operation_that_never_ends_is_transient_within_the_budget() -> None:
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(202, None, {"Azure-AsyncOperation": STATUS}))
    fake.on("GET", STATUS, Answer(200, {"status": "InProgress"}))
    started = time.monotonic()
    with pytest.raises(TransientWriteError, match="still running"):
        writer(fake, poll_interval_s=0.05, budget_s=0.6).apply(patch_account())
    assert time.monotonic() - started < 1.0
    assert len(fake.calls("GET", STATUS)) >= 5


def test_retry_after_is_waited_for() -> None:
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(202, None, {"Location": OPERATION, "Retry-After": "1"}))
    fake.on("GET", OPERATION, Answer(200))
    fake.on("GET", ACCOUNT, Answer(200, FIXED))
    writer(fake).apply(patch_account())
    [poll] = fake.calls("GET", OPERATION)
    assert poll.at - fake.calls("PATCH", ACCOUNT)[0].at >= 0.95


def test_a_retry_after_beyond_the_budget_answers_at_once() -> None:
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(202, None, {"Location": OPERATION, "Retry-After": "60"}))
    started = time.monotonic()
    with pytest.raises(TransientWriteError, match="still running after 0 poll"):
        writer(fake, budget_s=20).apply(patch_account())
    assert time.monotonic() - started < 0.5  # no point sleeping past the budget: Event Grid redelivers
    assert fake.calls("GET", OPERATION) == []


def test_a_vanished_operation_is_transient() -> None:
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(202, None, {"Azure-AsyncOperation": STATUS}))
    fake.on("GET", STATUS, Answer(404, {"error": {"code": "OperationNotFound", "message": "gone"}}))
    with pytest.raises(TransientWriteError, match="operation status is gone"):
        writer(fake).apply(patch_account())


def test_a_synchronous_answer_is_not_polled() -> None:
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(200, FIXED))
    fake.on("GET", ACCOUNT, Answer(200, FIXED))
    writer(fake).apply(patch_account())
    assert [(s.method, s.path) for s in fake.seen] == [("PATCH", ACCOUNT), ("GET", ACCOUNT)]
    assert all(s.authorized for s in fake.seen)


def test_the_read_back_waits_for_arm_to_catch_up() -> None:
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(200, FIXED))
    # ARM is eventually consistent: reads show the old state for a while after the write was accepted.
    fake.on("GET", ACCOUNT, lambda t: Answer(200, STALE if t < 1.5 else FIXED))
    applied = writer(fake).apply(patch_account())
    assert applied.read_back[ACCOUNT] == FIXED
    reads = fake.calls("GET", ACCOUNT)
    assert len(reads) >= 3
    assert reads[-1].at >= 1.5


def test_a_read_back_that_never_shows_the_change_is_reported() -> None:
    fake = FakeArm()
    fake.on("PATCH", ACCOUNT, Answer(200, FIXED))
    fake.on("GET", ACCOUNT, Answer(200, STALE))
    started = time.monotonic()
    with pytest.raises(VerificationFailed, match="does not show the change"):
        writer(fake, verify_s=0.8).apply(patch_account())
    assert time.monotonic() - started < 2.0
    assert len(fake.calls("GET", ACCOUNT)) >= 2
