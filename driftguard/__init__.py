"""DriftGuard: keeps Azure AI estates inside their security baseline."""

__version__ = "0.1.0"

# The project's addresses, declared once (pyproject.toml's [project.urls] says the same; a test checks):
# SARIF's `informationUri`, and each rule's `helpUri` (`RULES_URL#<rule id>`, overridden by
# `driftguard scan --help-uri-base` for a team that hosts the rule reference itself).
REPOSITORY_URL = "https://github.com/driftguard/driftguard"
RULES_URL = REPOSITORY_URL + "/blob/main/docs/rules.md"
