"""Sinks built from the settings, one explicit branch per kind; secrets come from the environment
(Key Vault references in Azure), read and checked by the settings and handed to their sink only."""

from __future__ import annotations

from collections.abc import Mapping

from driftguard import policy as config
from driftguard.cases.sinks import Sink
from driftguard.cases.sinks._http import Resolver, SinkHttp, resolve
from driftguard.cases.sinks.azure_devops import AzureDevOpsSink
from driftguard.cases.sinks.github import GitHubSink
from driftguard.cases.sinks.jira import JiraSink
from driftguard.cases.sinks.servicenow import ServiceNowSink
from driftguard.cases.sinks.teams import TeamsSink
from driftguard.cases.sinks.webhook import WebhookSink
from driftguard.policy import Settings


def build_sinks(settings: Settings, environ: Mapping[str, str], *, ca_file: str | None = None, resolver: Resolver = resolve) -> list[Sink]:
    """The configured sinks. `ca_file` trusts only that CA (tests' local stand-ins); `resolver` answers
    for DNS (tests again: production asks DNS at every connection)."""
    secrets = settings.sink_secrets(environ)
    private_hosts = frozenset(settings.sink_private_hosts)
    sinks: list[Sink] = []
    for c in settings.sinks:
        http = SinkHttp(f"{c.kind} {c.name}", private_hosts=private_hosts, ca_file=ca_file, resolver=resolver)
        if isinstance(c, config.TeamsSink):
            sinks.append(TeamsSink(c.name, url=secrets[c.url_setting], http=http))
        elif isinstance(c, config.GitHubSink):
            sinks.append(GitHubSink(c, token=secrets[c.token_setting], http=http))
        elif isinstance(c, config.AzureDevOpsSink):
            sinks.append(AzureDevOpsSink(c, token=secrets[c.token_setting], http=http))
        elif isinstance(c, config.ServiceNowSink):
            sinks.append(ServiceNowSink(c, password=secrets[c.password_setting], http=http))
        elif isinstance(c, config.JiraSink):
            sinks.append(JiraSink(c, token=secrets[c.token_setting], http=http))
        else:
            secret = secrets[c.secret_setting] if c.secret_setting else None
            sinks.append(WebhookSink(c.name, url=secrets[c.url_setting], secret=secret, http=http))
    return sinks
