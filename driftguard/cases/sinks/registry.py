"""Sinks built from the settings, one explicit branch per kind; secrets read from the environment
(Key Vault references in Azure) here and nowhere else."""

from __future__ import annotations

from collections.abc import Mapping

import requests

from driftguard import policy as config
from driftguard.cases.sinks import Sink
from driftguard.cases.sinks.azure_devops import AzureDevOpsSink
from driftguard.cases.sinks.github import GitHubSink
from driftguard.cases.sinks.jira import JiraSink
from driftguard.cases.sinks.servicenow import ServiceNowSink
from driftguard.cases.sinks.teams import TeamsSink
from driftguard.cases.sinks.webhook import WebhookSink
from driftguard.policy import ConfigError, SinkConfig


def _secret(environ: Mapping[str, str], name: str, sink: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"sink {sink!r} reads its secret from {name}, which is not set")
    return value


def _https_secret(environ: Mapping[str, str], name: str, sink: str) -> str:
    url = _secret(environ, name, sink)
    if not url.startswith("https://"):
        raise ConfigError(f"sink {sink!r}: the URL in {name} must be https://")
    return url


def build_sinks(configs: tuple[SinkConfig, ...], environ: Mapping[str, str], *, verify: str | bool = True) -> list[Sink]:
    sinks: list[Sink] = []
    for c in configs:
        session = requests.Session()
        session.verify = verify
        session.trust_env = False  # no proxy or CA bundle from the environment slips in unnoticed
        if isinstance(c, config.TeamsSink):
            sinks.append(TeamsSink(c.name, url=_https_secret(environ, c.url_setting, c.name), session=session))
        elif isinstance(c, config.GitHubSink):
            sinks.append(GitHubSink(c, token=_secret(environ, c.token_setting, c.name), session=session))
        elif isinstance(c, config.AzureDevOpsSink):
            sinks.append(AzureDevOpsSink(c, token=_secret(environ, c.token_setting, c.name), session=session))
        elif isinstance(c, config.ServiceNowSink):
            sinks.append(ServiceNowSink(c, password=_secret(environ, c.password_setting, c.name), session=session))
        elif isinstance(c, config.JiraSink):
            sinks.append(JiraSink(c, token=_secret(environ, c.token_setting, c.name), session=session))
        else:
            secret = _secret(environ, c.secret_setting, c.name) if c.secret_setting else None
            sinks.append(WebhookSink(c.name, url=_https_secret(environ, c.url_setting, c.name), secret=secret, session=session))
    return sinks
