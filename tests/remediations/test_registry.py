import pkgutil
import re

import remediations
from driftguard import alerts, rules
from driftguard.rules import cognitiveservices_account_keys_not_exposed as keys_rule


def test_every_module_is_registered_and_named_by_its_id() -> None:
    modules = {m.name for m in pkgutil.iter_modules(remediations.__path__)} - {"base"}
    assert modules == {m.__name__.rsplit(".", 1)[1] for m in remediations.MODULES}
    for module in remediations.MODULES:
        assert module.REMEDIATION.id == module.__name__.rsplit(".", 1)[1]


def test_every_remediation_a_rule_names_exists() -> None:
    named = {m.remediation for m in rules.metas() if m.remediation} | set(keys_rule.ROTATION.values())
    # The playbooks of Defender for AI alerts name remediations too.
    named |= {p.remediation for p in alerts.PLAYBOOKS.values()}
    missing = named - set(remediations.registry())
    assert missing == set()
    assert set(remediations.registry()) - named == set()


def test_the_key_rule_names_a_rotation_written_for_each_type() -> None:
    registry = remediations.registry()
    for rtype, rid in keys_rule.ROTATION.items():
        assert keys_rule.META.applies_to(rtype)
        assert rtype in {t.lower() for t in registry[rid].resource_types}, (rtype, rid)
    # Workspaces cannot regenerate keys: people rotate the linked resources' keys.
    assert "microsoft.machinelearningservices/workspaces" not in keys_rule.ROTATION


def test_actions_are_declared_as_rbac_action_strings() -> None:
    pattern = re.compile(r"Microsoft\.[A-Za-z]+(/[A-Za-z*]+)+")
    for remediation in remediations.registry().values():
        assert remediation.actions, remediation.id
        for action in remediation.actions:
            assert pattern.fullmatch(action), (remediation.id, action)
    assert "Microsoft.Authorization/roleAssignments/write" not in remediations.all_actions()


def test_every_remediation_says_what_else_it_touches() -> None:
    # The approver reads it beside the plan and in the confirmation: a sentence of its own per fix,
    # not the title again nor a text copied from another fix.
    texts = {r.id: r.touches for r in remediations.registry().values()}
    for rid, text in texts.items():
        assert len(text) >= 60, rid
        assert text.endswith("."), rid
        assert text.lower() != remediations.registry()[rid].title.lower()
    assert len(set(texts.values())) == len(texts)
    # The side effects the issue names are said where they happen.
    assert "API key" in texts["cognitiveservices_account_disable_local_auth"]
    assert "private endpoint" in texts["cognitiveservices_account_disable_public_network_access"]
    assert "current keys" in texts["cognitiveservices_account_regenerate_keys"]
    assert "at this scope" in texts["authorization_roleassignment_delete"]
