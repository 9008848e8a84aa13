"""The built-in probe set and how an answer becomes a verdict (wire formats as Azure OpenAI documents them)."""

from __future__ import annotations

from datetime import date

from driftguard.canary import PROBES, Outcome, judge, probes_for
from driftguard.policy import ProbeKind

JB = next(p for p in PROBES if p.kind is ProbeKind.JAILBREAK)
IA = next(p for p in PROBES if p.kind is ProbeKind.INDIRECT_ATTACK)


def content_filter_400(**result: object) -> dict[str, object]:
    return {
        "error": {
            "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
            "type": None,
            "param": "prompt",
            "code": "content_filter",
            "status": 400,
            "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": result},
        }
    }


def annotated_200(name: str, *, detected: bool, filtered: bool = False) -> dict[str, object]:
    return {
        "choices": [{"index": 0, "finish_reason": "length", "message": {"role": "assistant", "content": "OK"}}],
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {name: {"filtered": filtered, "detected": detected}}}],
        "usage": {"prompt_tokens": 60, "completion_tokens": 1, "total_tokens": 61},
    }


def test_ids_are_unique_and_every_kind_has_probes() -> None:
    assert len({p.id for p in PROBES}) == len(PROBES)
    assert {p.kind for p in PROBES} == set(ProbeKind)
    assert all(p.token_bound() > 16 for p in PROBES)


def test_documents_are_embedded_between_document_tags() -> None:
    [message] = IA.messages()
    assert message["role"] == "user"
    assert "<documents>" in message["content"]
    assert "</documents>" in message["content"]
    assert "<documents>" not in JB.messages()[0]["content"]


def test_rotation_by_day_sends_every_probe_over_days() -> None:
    kinds = [ProbeKind.JAILBREAK]
    firsts = {probes_for(kinds, date(2026, 11, d))[0].id for d in range(1, 8)}
    assert firsts == {p.id for p in PROBES if p.kind is ProbeKind.JAILBREAK}
    assert probes_for([], date(2026, 11, 1)) == []


def test_a_400_content_filter_is_blocked() -> None:
    assert judge(JB, 400, content_filter_400(jailbreak={"filtered": True, "detected": True})) == (Outcome.BLOCKED, "jailbreak")
    outcome, why = judge(IA, 400, content_filter_400(indirect_attack={"filtered": True, "detected": True}))
    assert outcome is Outcome.BLOCKED
    assert why == "indirect_attack"
    # blocked by another filter: the prompt still never reached the model
    assert judge(JB, 400, content_filter_400(hate={"filtered": True, "severity": "medium"}))[0] is Outcome.BLOCKED


def test_a_200_is_judged_on_its_prompt_annotations() -> None:
    assert judge(JB, 200, annotated_200("jailbreak", detected=True))[0] is Outcome.DETECTED_ONLY
    assert judge(JB, 200, annotated_200("jailbreak", detected=False))[0] is Outcome.PASSED
    assert judge(IA, 200, annotated_200("jailbreak", detected=True))[0] is Outcome.PASSED  # not its kind's shield
    assert judge(JB, 200, {"choices": []})[0] is Outcome.PASSED


def test_other_answers_are_no_verdict() -> None:
    assert judge(JB, 401, {"error": {"code": "PermissionDenied", "message": "secret detail"}}) == (
        Outcome.INCONCLUSIVE,
        "HTTP 401 PermissionDenied",
    )
    assert judge(JB, 400, {"error": {"code": "invalid_request_error"}})[0] is Outcome.INCONCLUSIVE
    assert judge(JB, None, None) == (Outcome.INCONCLUSIVE, "no answer")
    assert not Outcome.INCONCLUSIVE.failed
    assert Outcome.PASSED.failed
    assert Outcome.DETECTED_ONLY.failed
