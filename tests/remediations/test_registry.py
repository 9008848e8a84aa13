import pkgutil
import re

import remediations
from driftguard import rules


def test_every_module_is_registered_and_named_by_its_id() -> None:
    modules = {m.name for m in pkgutil.iter_modules(remediations.__path__)} - {"base"}
    assert modules == {m.__name__.rsplit(".", 1)[1] for m in remediations.MODULES}
    for module in remediations.MODULES:
        assert module.REMEDIATION.id == module.__name__.rsplit(".", 1)[1]


def test_every_remediation_a_rule_names_exists() -> None:
    named = {m.remediation for m in rules.metas() if m.remediation}
    missing = named - set(remediations.registry())
    assert missing == set()
    # key regeneration is chained after disabling local auth, not named by a rule of its own table row
    assert set(remediations.registry()) - named <= {"cognitiveservices_account_regenerate_keys"}


def test_actions_are_declared_as_rbac_action_strings() -> None:
    pattern = re.compile(r"Microsoft\.[A-Za-z]+(/[A-Za-z*]+)+")
    for remediation in remediations.registry().values():
        assert remediation.actions, remediation.id
        for action in remediation.actions:
            assert pattern.fullmatch(action), (remediation.id, action)
    assert "Microsoft.Authorization/roleAssignments/write" not in remediations.all_actions()
