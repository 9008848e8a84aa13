"""The deployment, checked offline: every Bicep file parses, Checkov passes, and what the Bicep grants
and configures is what the code needs (roles = the remediations' actions, app settings = the settings
model, event filters = the operations the engine handles)."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pycep import BicepParser

import remediations
from driftguard import rules
from driftguard.events import HANDLED_OPERATIONS
from driftguard.policy import SETTING_NAMES
from remediations.authorization_roleassignment_delete import removable_roles

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))
# Event Grid's limit on advanced filter values per event subscription.
MAX_FILTER_VALUES = 25


def parse(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = BicepParser().parse(file_path=path)
    return result


def load(name: str) -> Any:
    return json.loads((INFRA / name).read_text())


def load_parameters() -> Any:
    """main.parameters.json as azd reads it: ${VAR=default} substituted in the raw text (arrays and
    objects unquoted), then parsed. Variables without a default get a value of their parameter's kind."""
    text = (INFRA / "main.parameters.json").read_text()
    given = {"DRIFTGUARD_WATCHED_SUBSCRIPTIONS": '["00000000-0000-0000-0000-000000000000"]'}
    text = re.sub(r"\$\{([A-Z_]+)=([^}]*)\}", lambda m: m.group(2), text)
    text = re.sub(r"\$\{([A-Z_]+)\}", lambda m: given.get(m.group(1), "x"), text)
    return json.loads(text)


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: str(p.relative_to(INFRA)))
def test_every_bicep_file_parses(path: Path) -> None:
    parsed = parse(path)
    assert parsed.get("resources") or parsed.get("modules"), f"{path.name} declares nothing"


def test_checkov_passes_offline_with_every_skip_justified() -> None:
    if not CHECKOV.exists():
        pytest.fail(f"Checkov is not installed at {CHECKOV}: run `make test`, which installs it in its own virtualenv")
    run = subprocess.run(
        [str(CHECKOV), "-d", str(INFRA), "--framework", "bicep", "--skip-download", "--compact", "--output", "json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(run.stdout)
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in report["results"]["failed_checks"]]
    assert failed == [], failed
    assert summary["parsing_errors"] == 0  # an unparsed file would pass unchecked
    assert summary["passed"] > 40
    assert run.returncode == 0
    for skipped in report["results"]["skipped_checks"]:
        reason = skipped["check_result"].get("suppress_comment", "")
        assert len(reason) > 30, f"{skipped['check_id']} on {skipped['resource']} is skipped without a reason"


def missing_from_role(declared: frozenset[str]) -> set[str]:
    """Actions the remediations declare that the deployed roles do not grant."""
    granted = load("remediator-actions.json")
    return set(declared) - {*granted["resource"], *granted["access"]}


def test_the_remediator_role_is_exactly_what_the_remediations_declare() -> None:
    declared = remediations.all_actions()
    granted = load("remediator-actions.json")
    assert missing_from_role(declared) == set()
    assert {*granted["resource"], *granted["access"]} <= declared, "the role grants actions no remediation needs"
    # Role-assignment rights live only in the conditional role.
    assert all(a.startswith("Microsoft.Authorization/") for a in granted["access"])
    assert not any(a.startswith("Microsoft.Authorization/") for a in granted["resource"])
    assert "*" not in json.dumps(granted)
    roles_bicep = parse(INFRA / "modules" / "roles.bicep")
    loaded = roles_bicep["variables"]["remediatorActions"]["value"]["function"]
    assert (loaded["type"], loaded["parameters"]["file_path"]) == ("load_json_content", "../remediator-actions.json")
    for role, part in (("remediator", "resource"), ("accessRemover", "access")):
        actions = roles_bicep["resources"][role]["config"]["properties"]["permissions"][0]["actions"]
        assert actions == {"operator": {"type": "property_accessor", "operands": {"operand_1": "remediatorActions", "operand_2": part}}}


def test_a_remediation_declaring_an_action_the_role_lacks_fails_the_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    module = remediations.MODULES[0]
    widened = dataclasses.replace(module.REMEDIATION, actions=(*module.REMEDIATION.actions, "Microsoft.Foo/bars/write"))
    monkeypatch.setattr(module, "REMEDIATION", widened)
    assert missing_from_role(remediations.all_actions()) == {"Microsoft.Foo/bars/write"}


def test_the_detector_role_reads_only() -> None:
    actions = load("detector-actions.json")["actions"]
    assert actions
    assert all(a.endswith("/read") for a in actions), [a for a in actions if not a.endswith("/read")]
    # Defender for AI alerts are read through Resource Graph (securityresources), which shows only the
    # alerts the caller may read: Reader's */read covers them, named here so a narrowed Reader keeps them.
    assert {"Microsoft.Security/locations/alerts/read", "Microsoft.ResourceGraph/resources/read"} <= set(actions)
    # The gateway-only rule reads each approved private endpoint of a fronted account (its subnet).
    assert "Microsoft.Network/privateEndpoints/read" in actions
    watch = parse(INFRA / "modules" / "watch.bicep")
    assert watch["variables"]["reader"]["value"] == "acdd72a7-3385-48ef-bd42-f606fba81ae7"  # the built-in Reader
    reader = watch["resources"]["detectorReader"]["config"]["properties"]["roleDefinitionId"]["function"]["parameters"]
    assert reader["resource_name_1"] == "reader"
    assert watch["resources"]["detectorReader"]["config"]["properties"]["principalId"] == "detectorPrincipalId"
    assignments = [r["config"]["properties"] for r in watch["resources"].values() if r["type"] == "Microsoft.Authorization/roleAssignments"]
    remediator_grants = [a for a in assignments if a["principalId"] == "remediatorPrincipalId"]
    assert len(remediator_grants) == 2  # its custom role, and the conditional role-assignment rights
    assert sum(1 for a in remediator_grants if "condition" in a) == 1


def test_the_access_condition_names_the_removable_roles() -> None:
    assert load("removable-roles.json")["roleDefinitionIds"] == list(removable_roles())
    condition = load("access-condition.json")
    assert condition["conditionVersion"] == "2.0"
    assert condition["template"].count("ROLE_IDS") == 1
    assert "roleAssignments/delete" in condition["template"]
    # DriftGuard's identities never grant a role.
    assert not any(a.endswith("roleAssignments/write") for a in load("remediator-actions.json")["access"])


def test_event_filters_are_the_handled_operations_within_limits() -> None:
    assert load("event-operations.json") == {k: list(v) for k, v in HANDLED_OPERATIONS.items()}
    for group, values in HANDLED_OPERATIONS.items():
        assert len(values) <= MAX_FILTER_VALUES, f"{group}: {len(values)} filter values, Event Grid allows {MAX_FILTER_VALUES}"
        assert len({v.lower() for v in values}) == len(values)
    handled = {v.lower() for values in HANDLED_OPERATIONS.values() for v in values}
    # Settings that exist once per parent and are never deleted on their own (a plan, a Defender setting).
    singletons = {"microsoft.security/pricings", "microsoft.cognitiveservices/accounts/defenderforaisettings"}
    for rtype in rules.rule_types():
        assert f"{rtype}/write" in handled, f"changes to {rtype} would not reach DriftGuard"
        if rtype not in singletons:
            assert f"{rtype}/delete" in handled, f"deleting a {rtype} would leave its findings open until a sweep"
    assert load("notification-types.json") == sorted(rules.rule_types())
    topic = (INFRA / "modules" / "system-topic.bicep").read_text()
    assert "loadJsonContent('../event-operations.json')" in topic
    assert "'data.operationName'" in topic


def _bicep_settings() -> set[str]:
    variables = parse(INFRA / "modules" / "functionapp.bicep")["variables"]
    return set(variables["driftguardSettings"]["value"])


def test_settings_model_sample_and_bicep_name_the_same_keys() -> None:
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    in_sample = {k for k in sample if k.startswith("DRIFTGUARD_")}
    assert in_sample == set(SETTING_NAMES)
    assert _bicep_settings() == set(SETTING_NAMES)


def test_azd_conventions() -> None:
    azure = yaml.safe_load((ROOT / "azure.yaml").read_text())
    assert azure["services"]["api"]["host"] == "function"
    assert azure["services"]["api"]["language"] == "python"
    main = parse(INFRA / "main.bicep")
    assert main["globals"]["scope"]["value"] == "subscription"
    app = main["modules"]["app"]["config"]["params"]
    assert "'azd-service-name': 'api'" in str(app["tags"]) or "azd-service-name" in json.dumps(app["tags"])
    assert "azd-env-name" in json.dumps(main["variables"]["tags"])
    parameters = load_parameters()["parameters"]
    declared = main["parameters"]
    assert set(parameters) <= set(declared), set(parameters) - set(declared)
    required = {name for name, p in declared.items() if "default" not in p}
    assert required <= set(parameters), f"required parameters without a value: {required - set(parameters)}"


def test_no_shared_keys_and_no_public_blobs() -> None:
    storage = parse(INFRA / "modules" / "storage.bicep")["resources"]["account"]["config"]["properties"]
    assert storage["allowSharedKeyAccess"] is False
    assert storage["allowBlobPublicAccess"] is False
    assert storage["minimumTlsVersion"] == "TLS1_2"
    assert storage["networkAcls"]["defaultAction"] == "Deny"
    app = (INFRA / "modules" / "functionapp.bicep").read_text()
    assert "AzureWebJobsStorage__credential: 'managedidentity'" in app
    assert "AccountKey" not in app
    assert "listKeys" not in "".join(p.read_text() for p in BICEP_FILES)


HOOKS = INFRA / "hooks"
SHELLCHECK = "/usr/bin/shellcheck"
HOOK_NAMES = {"preprovision", "postprovision", "postdeploy", "predown", "postdown"}


def test_azure_yaml_names_only_hooks_that_exist_in_both_shells() -> None:
    hooks = yaml.safe_load((ROOT / "azure.yaml").read_text())["hooks"]
    assert set(hooks) == HOOK_NAMES
    for name, shells in hooks.items():
        assert set(shells) == {"posix", "windows"}, name
        posix, windows = shells["posix"], shells["windows"]
        assert posix["shell"] == "sh"
        assert posix["run"] == f"./infra/hooks/{name}.sh"
        assert windows["shell"] == "pwsh"
        assert windows["run"] == f"./infra/hooks/{name}.ps1"
        for hook in (posix, windows):
            assert (ROOT / hook["run"]).is_file(), hook["run"]
            assert hook.get("continueOnError") is False


def test_every_shell_hook_has_a_powershell_twin_and_strict_mode() -> None:
    scripts = sorted(HOOKS.glob("*.sh"))
    assert {p.stem for p in scripts} >= HOOK_NAMES | {"set-secret", "event-subscriptions"}
    for script in scripts:
        assert script.with_suffix(".ps1").is_file(), script.name
        text = script.read_text()
        assert text.startswith("#!/usr/bin/env bash\n"), script.name
        assert "\nset -euo pipefail\n" in text, script.name
    for script in HOOKS.glob("*.ps1"):
        assert "$ErrorActionPreference = 'Stop'" in script.read_text(), script.name
    # azd runs a posix hook by its path (the shebang picks bash): it must be executable in git, too.
    modes = subprocess.run(["git", "ls-files", "-s", "infra/hooks"], cwd=ROOT, capture_output=True, text=True, check=False)
    if modes.returncode == 0 and modes.stdout:
        for line in modes.stdout.splitlines():
            mode, _, _, path = line.split(maxsplit=3)
            if path.endswith(".sh"):
                assert mode == "100755", f"{path} is not executable in git (git update-index --chmod=+x {path})"


@pytest.mark.skipif(not Path(SHELLCHECK).exists(), reason="shellcheck is not installed (make unit installs it)")
def test_shell_hooks_pass_shellcheck() -> None:
    scripts = sorted(str(p) for p in HOOKS.glob("*.sh"))
    assert scripts
    result = subprocess.run([SHELLCHECK, "--shell=bash", *scripts], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_set_secret_goes_through_arm_and_never_takes_the_value_as_an_argument() -> None:
    for name in ("set-secret.sh", "set-secret.ps1"):
        text = (HOOKS / name).read_text()
        assert "Microsoft.KeyVault/vaults/${vault}/secrets/${secret}" in text or "vaults/$vault/secrets/${secret}" in text
        assert "az rest --method put" in text
        assert "az keyvault secret set --" not in text
    sh = (HOOKS / "set-secret.sh").read_text()
    assert "read -r -s" in sh
    assert "trap 'rm -f \"$body\"' EXIT" in sh


def test_hooks_set_the_variables_main_parameters_reads() -> None:
    parameters = (INFRA / "main.parameters.json").read_text()
    read = set(re.findall(r"\$\{([A-Z_]+)", parameters))
    hooks = "".join(p.read_text() for p in HOOKS.glob("*.sh"))
    written = set(re.findall(r"^\s*azd env set ([A-Z_]+)", hooks, re.M))
    assert written, "the hooks set no variable"
    assert written <= read, written - read


# Flex Consumption rejects these (ARM error 51021 for siteConfig; the app settings are replaced by
# functionAppConfig): Microsoft's Flex Consumption plan docs, ../shared/AZURE-FACTS.md.
FLEX_REJECTED_SITE_CONFIG = {"ftpsState", "alwaysOn", "linuxFxVersion", "use32BitWorkerProcess", "functionAppScaleLimit"}
FLEX_REJECTED_APP_SETTINGS = {
    "WEBSITE_RUN_FROM_PACKAGE",
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_CONTENTSHARE",
}


def _code_lines(path: Path) -> str:
    """The Bicep text without its comments (the Checkov justifications name what is left out)."""
    return "\n".join(line.split("//", 1)[0] for line in path.read_text().splitlines())


def test_the_flex_consumption_app_has_nothing_flex_rejects() -> None:
    module = parse(INFRA / "modules" / "functionapp.bicep")
    plan = module["resources"]["plan"]["config"]
    assert plan["sku"]["tier"] == "FlexConsumption"
    site = module["resources"]["app"]["config"]["properties"]
    assert site["functionAppConfig"]["runtime"]["name"] == "python"
    assert not FLEX_REJECTED_SITE_CONFIG & set(site["siteConfig"]), FLEX_REJECTED_SITE_CONFIG & set(site["siteConfig"])
    settings = set(module["variables"]["hostSettings"]["value"]) | set(module["variables"]["driftguardSettings"]["value"])
    assert settings, "no app settings found: the module's layout changed"
    assert not FLEX_REJECTED_APP_SETTINGS & settings, FLEX_REJECTED_APP_SETTINGS & settings
    for path in BICEP_FILES:
        code = _code_lines(path)
        for name in FLEX_REJECTED_SITE_CONFIG | FLEX_REJECTED_APP_SETTINGS:
            assert not re.search(rf"\b{name}\b", code), f"{path.relative_to(INFRA)} sets {name}, which Flex Consumption rejects"


FAKE_AZD = """#!/bin/bash
if [[ "$2" == "set" ]]; then printf 'SET %s=%s\\n' "$3" "$4" >> "$FAKE_LOG"; exit 0; fi
value="$(printf '%s' "$FAKE_ENV" | sed -n "s/^$3=//p")"
[[ -n "$value" ]] || exit 1
printf '%s\\n' "$value"
"""
FAKE_AZ = """#!/bin/bash
printf 'AZ %s\\n' "$*" >> "$FAKE_LOG"
for arg in "$@"; do
  if [[ "$arg" == @* ]]; then printf 'BODY %s\\n' "$(cat "${arg#@}")" >> "$FAKE_LOG"; fi
done
case "$1 $2" in
  "provider show") echo Registered ;;
  "eventgrid system-topic") [[ "$*" == *11111111-* ]] && printf '{\\n "name": "t1",\\n "resourceGroup": "Default-EventGrid",\\n "tags": null\\n}\\n' ;;
  "keyvault list-deleted") echo kv-dg-old ;;
  "account list-locations") echo 0 ;;
  "cloud show") echo https://login.microsoftonline.com/ ;;
  "ad app") [[ "$3" == show ]] && printf 'https://other.example/cb\n' ;;
  "ad sp") [[ "$*" == *appRoleAssignmentRequired* && "$3" == show ]] && echo false ;;
  "functionapp function") exit 3 ;;
esac
exit 0
"""


def _run_hook(tmp_path: Path, script: str, env: dict[str, str], stdin: str = "", *args: str) -> tuple[str, str]:
    """A hook run against fake `az` and `azd` (no Azure): its output, and the log of every call they got."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, text in (("az", FAKE_AZ), ("azd", FAKE_AZD)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "calls.log"
    log.write_text("")
    environ = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "FAKE_LOG": str(log),
        "FAKE_ENV": "\n".join(f"{k}={v}" for k, v in env.items()),
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
    }
    result = subprocess.run(
        ["bash", str(HOOKS / script), *args], input=stdin, capture_output=True, text=True, env=environ, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr, log.read_text()


def test_preprovision_records_existing_topics_the_vault_to_recover_and_the_redundancy(tmp_path: Path) -> None:
    watched = '["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"]'
    env = {
        "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000",
        "AZURE_LOCATION": "westus",
        "AZURE_ENV_NAME": "prod",
        "DRIFTGUARD_WATCHED_SUBSCRIPTIONS": watched,
        "DRIFTGUARD_KEY_VAULT_NAME": "kv-dg-old",
    }
    _, calls = _run_hook(tmp_path, "preprovision.sh", env)
    for sub in ("00000000-", "11111111-", "22222222-"):
        assert f"provider show --subscription {sub}" in calls
    assert calls.count("provider show") == 2 * 3 * 9  # checked, then awaited: 9 providers, 3 subscriptions
    topics = re.search(r"^SET DRIFTGUARD_EXISTING_SYSTEM_TOPICS=(.*)$", calls, re.M)
    assert topics
    assert json.loads(topics.group(1)) == {
        "11111111-1111-1111-1111-111111111111": {"name": "t1", "resourceGroup": "Default-EventGrid", "tags": None}
    }
    assert "SET DRIFTGUARD_RECOVER_KEY_VAULT=true" in calls
    assert "SET DRIFTGUARD_STORAGE_SKU=Standard_GRS" in calls  # no availability zones reported


def test_set_secret_never_shows_the_value_and_removes_the_body(tmp_path: Path) -> None:
    env = {
        "AZURE_SUBSCRIPTION_ID": "sub",
        "AZURE_RESOURCE_GROUP": "rg",
        "DRIFTGUARD_KEY_VAULT_NAME": "kv-dg-x",
        "DRIFTGUARD_SINK_SECRET_SETTINGS": '["GITHUB_TOKEN"]',
        "AZURE_FUNCTION_APP_NAME": "func",
    }
    value = 'tok"en\\SECRETVALUE'
    output, calls = _run_hook(tmp_path, "set-secret.sh", env, value + "\n", "GITHUB_TOKEN")
    assert "SECRETVALUE" not in output
    assert "not among the sink secret settings" not in output
    (put,) = [line for line in calls.splitlines() if line.startswith("AZ rest --method put")]
    assert "SECRETVALUE" not in put
    assert "/providers/Microsoft.KeyVault/vaults/kv-dg-x/secrets/GITHUB-TOKEN?api-version=" in put
    body = next(line for line in calls.splitlines() if line.startswith("BODY "))
    assert json.loads(body.removeprefix("BODY "))["properties"]["value"] == value
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("tmp.")], "the request body was left behind"


def test_postprovision_trusts_the_sign_in_identity_and_requires_assignment(tmp_path: Path) -> None:
    env = {
        "DRIFTGUARD_AUTH_CLIENT_ID": "app-1",
        "AZURE_TENANT_ID": "tenant-1",
        "DRIFTGUARD_SIGNIN_PRINCIPAL_ID": "principal-1",
        "DRIFTGUARD_CONSOLE_URL": "https://func-x.azurewebsites.net/api/console",
        "DRIFTGUARD_RESOURCE_TOKEN": "tok",
        "AZURE_RESOURCE_GROUP": "rg",
        "AZURE_FUNCTION_APP_NAME": "func-x",
    }
    output, calls = _run_hook(tmp_path, "postprovision.sh", env)
    create = next(line for line in calls.splitlines() if "federated-credential create" in line)
    credential = json.loads(create.split("--parameters ", 1)[1].removesuffix(" --output none"))
    assert credential == {
        "name": "driftguard-signin-tok",
        "issuer": "https://login.microsoftonline.com/tenant-1/v2.0",
        "subject": "principal-1",
        "description": credential["description"],
        "audiences": ["api://AzureADTokenExchange"],
    }
    redirect = "https://func-x.azurewebsites.net/.auth/login/aad/callback"
    assert f"ad app update --id app-1 --web-redirect-uris https://other.example/cb {redirect}" in calls
    assert "ad sp update --id app-1 --set appRoleAssignmentRequired=true" in calls
    assert "SET DEPLOY_EVENT_SUBSCRIPTIONS" not in calls  # the function is not deployed: no second provision
    assert "not deployed yet" in output


def test_no_output_overwrites_a_variable_the_parameters_read_as_json() -> None:
    """azd writes every output into the environment: an output named like a variable that
    main.parameters.json substitutes unquoted (an array or object) would replace its JSON on the next provision."""
    parameters = (INFRA / "main.parameters.json").read_text()
    unquoted = set(re.findall(r'": \$\{([A-Z_]+)', parameters))
    assert unquoted, "no unquoted variables found: the parameters file changed"
    outputs = set(re.findall(r"^output ([A-Za-z_]+) ", (INFRA / "main.bicep").read_text(), re.M))
    assert not outputs & unquoted, outputs & unquoted


def test_predown_stops_before_azd_down_deletes_an_adopted_topic_group(tmp_path: Path) -> None:
    topics = '{"00000000-0000-0000-0000-000000000000": {"name": "t1", "resourceGroup": "Default-EventGrid"}}'
    env = {"AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000", "AZURE_ENV_NAME": "prod"}
    (tmp_path / "topics").write_text("Default-EventGrid")  # the fake az's answer: the topic's group
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_az = 'printf "%s\\n" "$(cat "$FAKE_TOPIC_GROUP")"'
    (bin_dir / "az").write_text(f"#!/bin/bash\n{fake_az}\n")
    (bin_dir / "az").chmod(0o755)
    (bin_dir / "azd").write_text(FAKE_AZD)
    (bin_dir / "azd").chmod(0o755)

    def predown(**more: str) -> subprocess.CompletedProcess[str]:
        environ = {
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "FAKE_LOG": str(tmp_path / "log"),
            "FAKE_TOPIC_GROUP": str(tmp_path / "topics"),
            "FAKE_ENV": "\n".join(f"{k}={v}" for k, v in {**env, **more}.items()),
            **env,
        }
        return subprocess.run(["bash", str(HOOKS / "predown.sh")], capture_output=True, text=True, env=environ, check=False, timeout=60)

    assert predown().returncode == 0  # nothing adopted
    elsewhere = topics.replace("00000000-0000-0000-0000-000000000000", "11111111-1111-1111-1111-111111111111")
    assert predown(DRIFTGUARD_EXISTING_SYSTEM_TOPICS=elsewhere).returncode == 0  # adopted in another subscription
    stopped = predown(DRIFTGUARD_EXISTING_SYSTEM_TOPICS=topics)
    assert stopped.returncode == 1
    assert "Default-EventGrid" in stopped.stderr
    assert predown(DRIFTGUARD_EXISTING_SYSTEM_TOPICS=topics, DRIFTGUARD_DOWN_ALLOW_GROUP="Default-EventGrid").returncode == 0


def test_every_json_variable_has_a_default_so_a_first_provision_neither_prompts_nor_fails() -> None:
    """azd substitutes an unset variable with nothing: `"value": ${VAR}` then leaves invalid JSON. Each
    unquoted one has a default. drone/envsubst ends a default at its first `}` (so `{}` cannot be one)
    and ARM takes no null for a parameter: the topics' map is wrapped, its default null, read as none."""
    text = (INFRA / "main.parameters.json").read_text()
    assert re.findall(r'": \$\{([A-Z_]+)\}', text) == []
    defaults = dict(re.findall(r"\$\{([A-Z_]+)=([^}]*)\}", text))
    assert all("{" not in v for v in defaults.values()), "a default holding '{' is cut at its first '}'"
    assert load_parameters()["parameters"]["existingSystemTopics"]["value"] == {"bySubscription": None}
    main = (INFRA / "main.bicep").read_text()
    assert "var topicsBySubscription = existingSystemTopics[?'bySubscription'] ?? {}" in main
    assert "existingSystemTopic: topicsBySubscription[?subscriptionId] ?? {}" in main


def test_custom_role_ids_and_names_carry_the_resource_token_at_every_scope() -> None:
    """One environment name deployed to two regions (two resource tokens) keeps two sets of roles, at a
    subscription and at a management group alike: neither rewrites the other's."""
    found = 0
    for path in BICEP_FILES:
        resources = parse(path).get("resources") or {}
        for name, resource in resources.items():
            if not str(resource.get("type", "")).lower().endswith("microsoft.authorization/roledefinitions"):
                continue
            found += 1
            text = json.dumps(resource["config"])
            assert text.count("resourceToken") >= 2, f"{path.name}:{name}: id and roleName must both carry the resource token"
    assert found == 6


def test_canary_probes_get_the_data_plane_role_on_the_opted_in_accounts_only() -> None:
    # Cognitive Services OpenAI User: chat completions with an Entra token, no keys, no control-plane write.
    open_ai_user = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
    module = parse(INFRA / "modules" / "probe-access.bicep")
    [assignment] = [r for r in module["resources"].values() if r["type"] == "Microsoft.Authorization/roleAssignments"]
    assert assignment["config"]["scope"] == "account"
    assert assignment["config"]["properties"]["principalId"] == "detectorPrincipalId"
    assert f"var openAiUser = '{open_ai_user}'" in (INFRA / "modules" / "probe-access.bicep").read_text()
    main = parse(INFRA / "main.bicep")["modules"]["probeAccess"]
    assert main["config"]["loop_type"]["detail"]["array_name"] == "probedAccountIds"
    assert load_parameters()["parameters"]["probedAccountIds"]["value"] == []
    # never on a subscription: the role is granted nowhere else
    others = "".join(p.read_text() for p in BICEP_FILES if p.name != "probe-access.bicep")
    assert open_ai_user not in others
