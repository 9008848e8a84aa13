from datetime import timedelta
from pathlib import Path

import pytest

from driftguard.model import Mode
from driftguard.nesting import MAX_DEPTH
from driftguard.policy import ConfigError, ModeOverride, Policy, load_policy, load_settings
from tests.deep import TOO_DEEP, nested_text, refusal_names_the_limit


def test_settings_parse_and_validate() -> None:
    s = load_settings(
        {"DRIFTGUARD_SUBSCRIPTIONS": "11111111-1111-4111-8111-111111111111; 22222222-2222-4222-8222-222222222222", "OTHER": "x"}
    )
    assert len(s.subscriptions) == 2
    with pytest.raises(ConfigError, match="DRIFTGUARD_SUBSCRIPTIONS"):
        load_settings({"DRIFTGUARD_SUBSCRIPTIONS": "nope"})
    with pytest.raises(ConfigError, match="DRIFTGUARD_ARM_ENDPOINT"):
        load_settings({"DRIFTGUARD_ARM_ENDPOINT": "http://management.azure.com"})
    with pytest.raises(ConfigError, match="DRIFTGUARD_GRAPH_ENDPOINT"):
        load_settings({"DRIFTGUARD_GRAPH_ENDPOINT": "http://graph.microsoft.com"})
    with pytest.raises(ConfigError, match="unknown setting DRIFTGUARD_SUBSCRIPTON"):
        load_settings({"DRIFTGUARD_SUBSCRIPTON": "x"})
    with pytest.raises(ConfigError, match="nothing to watch"):
        load_settings({}).require_scope()


def test_local_settings_sample_names_every_setting() -> None:
    import json

    from driftguard.policy import SETTING_NAMES

    sample = json.loads((Path(__file__).parents[1] / "local.settings.sample.json").read_text())["Values"]
    assert {k for k in sample if k.startswith("DRIFTGUARD_")} == set(SETTING_NAMES)


def test_mode_overrides_most_specific_wins(tmp_path: Path) -> None:
    p = Policy(
        modes={"r": Mode.REPORT},
        overrides=(
            ModeOverride(rule="r", scope="/subscriptions/A", mode=Mode.APPROVE),
            ModeOverride(rule="r", scope="/subscriptions/a/resourceGroups/prod", mode=Mode.AUTO),
        ),
    )
    assert p.mode_for("r", "/subscriptions/a/resourceGroups/prod/providers/x/y/z", default=Mode.OFF) is Mode.AUTO
    assert p.mode_for("r", "/subscriptions/a/resourceGroups/dev/providers/x/y/z", default=Mode.OFF) is Mode.APPROVE
    assert p.mode_for("r", "/subscriptions/b/resourceGroups/dev", default=Mode.OFF) is Mode.REPORT
    assert p.mode_for("q", "/subscriptions/b", default=Mode.TICKET) is Mode.TICKET


def test_policy_files_toml_and_errors(tmp_path: Path) -> None:
    toml = tmp_path / "p.toml"
    toml.write_text('[network]\nmax_ip_prefix = 20\n[modes]\nsearch_service_local_auth_disabled = "approve"\n')
    policy = load_policy(toml)
    assert policy.network.max_ip_prefix == 20
    bad = tmp_path / "p.json"
    bad.write_text('{"network": {"max_ip_prefix": 64}}')
    with pytest.raises(ConfigError, match=r"network\.max_ip_prefix"):
        load_policy(bad)
    bad.write_text('{"modes": {"x": "sometimes"}}')
    with pytest.raises(ConfigError, match=r"modes\.x"):
        load_policy(bad)
    bad.write_text("{")
    with pytest.raises(ConfigError, match="not valid"):
        load_policy(bad)


def test_sink_private_hosts_are_a_validated_list() -> None:
    s = load_settings({"DRIFTGUARD_SINK_PRIVATE_HOSTS": "Jira.Corp.Contoso.com; 10.0.0.7 ,"})
    assert s.sink_private_hosts == ("jira.corp.contoso.com", "10.0.0.7")
    assert load_settings({}).sink_private_hosts == ()
    with pytest.raises(ConfigError, match=r"DRIFTGUARD_SINK_PRIVATE_HOSTS.*exact hosts only"):
        load_settings({"DRIFTGUARD_SINK_PRIVATE_HOSTS": "*.corp.contoso.com"})
    with pytest.raises(ConfigError, match=r"DRIFTGUARD_SINK_PRIVATE_HOSTS.*never a ticket system"):
        load_settings({"DRIFTGUARD_SINK_PRIVATE_HOSTS": "169.254.169.254"})


def test_every_sink_url_and_secret_is_checked_at_start_up() -> None:
    import json

    jira = {"name": "jira", "kind": "jira", "project_key": "SEC", "email": "a@contoso.com", "token_setting": "JIRA_TOKEN"}
    teams = {"name": "teams", "kind": "teams", "url_setting": "TEAMS_URL"}
    token = {"JIRA_TOKEN": "t"}

    def start(sink: dict[str, str], **env: str) -> None:
        load_settings({"DRIFTGUARD_SINKS": json.dumps([sink]), **env})

    start({**jira, "base_url": "https://contoso.atlassian.net"}, **token)
    start({**jira, "base_url": "https://10.0.0.7/jira"}, DRIFTGUARD_SINK_PRIVATE_HOSTS="10.0.0.7", **token)
    for base, reason in (
        ("http://contoso.atlassian.net", "https"),
        ("https://me:pw@contoso.atlassian.net", "user info"),
        ("https://10.0.0.7/jira", "private address"),
        ("https://localhost/jira", "loopback"),
        ("https://169.254.169.254/metadata", "link-local"),
    ):
        with pytest.raises(ConfigError, match=f"DRIFTGUARD_SINKS.*base_url.*{reason}"):
            start({**jira, "base_url": base}, **token)
    signed = "https://prod-01.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=SECRETSIG"
    start(teams, TEAMS_URL=signed)
    for url, reason in (
        (signed.replace("https", "http", 1), "https"),
        ("https://127.0.0.1:8443/x?sig=SECRETSIG", "loopback"),
        ("https://[::ffff:169.254.169.254]/x?sig=SECRETSIG", "link-local"),
    ):
        with pytest.raises(ConfigError, match=f"^setting TEAMS_URL \\(the URL of sink 'teams'\\): .*{reason}") as refused:
            start(teams, TEAMS_URL=url)
        assert "SECRETSIG" not in str(refused.value)  # one line naming the setting, never its value
        assert "\n" not in str(refused.value)
    with pytest.raises(ConfigError, match=r"JIRA_TOKEN.*control character"):
        start({**jira, "base_url": "https://contoso.atlassian.net"}, JIRA_TOKEN="tok\nen")


def test_mode_override_scopes_compare_as_arm_compares_ids() -> None:
    kelvin = "/subscriptions/a/resourceGroups/rg-\u212aelvin"  # KELVIN SIGN: ARM keeps it apart from k
    p = Policy(overrides=(ModeOverride(rule="r", scope="/subscriptions/A/resourceGroups/RG-KELVIN", mode=Mode.OFF),))
    assert p.mode_for("r", f"{kelvin}/providers/x/y/z", default=Mode.AUTO) is Mode.AUTO
    assert p.mode_for("r", f"{kelvin.replace(chr(0x212A), 'k')}/providers/x/y/z", default=Mode.AUTO) is Mode.OFF


@pytest.mark.parametrize("levels", TOO_DEEP)
def test_a_policy_nested_too_deep_stops_start_up_with_one_line(levels: int, tmp_path: Path) -> None:
    files = {
        "p.json": '{"modes": ' + nested_text(levels - 1) + "}",
        "p.toml": "modes = " + "[" * (levels - 1) + "]" * (levels - 1),
    }
    if levels <= 1000:  # tomllib builds dotted tables in quadratic time: only near the limit
        files["d.toml"] = "[" + ".".join(["t"] * (levels - 1)) + "]\nk = 1"
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ConfigError) as refused:
            load_policy(tmp_path / name)
        refusal_names_the_limit(str(refused.value), f"policy file {tmp_path / name}")


def test_a_policy_at_the_limit_reaches_validation(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"modes": ' + nested_text(MAX_DEPTH - 1) + "}")
    with pytest.raises(ConfigError, match=r"modes\.a: Input should be"):
        load_policy(path)


@pytest.mark.parametrize("levels", TOO_DEEP)
def test_sink_settings_nested_too_deep_stop_start_up_with_one_line(levels: int) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"DRIFTGUARD_SINKS": nested_text(levels)})
    refusal_names_the_limit(str(refused.value), "setting DRIFTGUARD_SINKS")
    with pytest.raises(ConfigError, match="DRIFTGUARD_SINKS: 0: Unable to extract tag"):  # past the limit check, to validation
        load_settings({"DRIFTGUARD_SINKS": "[" + nested_text(MAX_DEPTH - 1) + "]"})


def test_the_claim_expiry_is_a_bounded_number_of_seconds_checked_at_start_up() -> None:
    assert load_settings({}).claim_ttl == timedelta(minutes=5)
    assert load_settings({"DRIFTGUARD_CLAIM_TTL_SECONDS": "60"}).claim_ttl == timedelta(seconds=60)
    for bad, why in (("0", "greater than or equal to 1"), ("3601", "less than or equal to 3600"), ("5m", "valid integer")):
        with pytest.raises(ConfigError, match=rf"^setting DRIFTGUARD_CLAIM_TTL_SECONDS: .*{why}") as e:
            load_settings({"DRIFTGUARD_CLAIM_TTL_SECONDS": bad})
        assert "\n" not in str(e.value)


def test_an_unresolved_key_vault_reference_stops_start_up_with_one_line_naming_the_setting() -> None:
    import json

    reference = "@Microsoft.KeyVault(SecretUri=https://kv-dg-abc.vault.azure.net/secrets/JIRA-TOKEN/SECRETPART)"
    jira = {"name": "jira", "kind": "jira", "base_url": "https://contoso.atlassian.net", "project_key": "SEC"}
    jira |= {"email": "a@contoso.com", "token_setting": "JIRA_TOKEN"}
    sinks = json.dumps([jira])
    load_settings({"DRIFTGUARD_SINKS": sinks, "JIRA_TOKEN": "t"})
    for env, name in (
        ({"DRIFTGUARD_SINKS": sinks, "JIRA_TOKEN": reference}, "JIRA_TOKEN"),
        ({"DRIFTGUARD_SINKS": sinks, "JIRA_TOKEN": " " + reference.lower()}, "JIRA_TOKEN"),
        ({"DRIFTGUARD_SUBSCRIPTIONS": reference}, "DRIFTGUARD_SUBSCRIPTIONS"),
        ({"DRIFTGUARD_SINKS": reference}, "DRIFTGUARD_SINKS"),
    ):
        with pytest.raises(ConfigError, match=f"^setting {name}: an unresolved Key Vault reference") as refused:
            load_settings(env)
        message = str(refused.value)
        assert "\n" not in message
        assert "SECRETPART" not in message
        assert "kv-dg-abc" not in message
