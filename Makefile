# Quick start: `make demo` (scan the simulated estate) and `make test` (the whole suite).
# Each target sets up what it needs: a virtualenv in .venv with the runtime and dev requirements.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Azurite (Azure Storage emulator) from npm: the Table Storage backend's tests run against it.
AZURITE := .tools/node_modules/.bin/azurite-table
AZURITE_VERSION := 3.37.0
# axe-core from npm: the console's browser tests inject it into Chromium (no serious or critical violation).
AXE := .tools/node_modules/axe-core/axe.min.js
AXE_VERSION := 4.14.1
# Checkov (offline Bicep checks) in a virtualenv of its own: its pins stay out of the app's.
CHECKOV := .tools/checkov/bin/checkov
CHECKOV_VERSION := 3.3.30
# Debian's ShellCheck: the azd hooks (infra/hooks/*.sh) are linted in the infra tests.
SHELLCHECK := /usr/bin/shellcheck
# Debian's Chromium: the console's end-to-end tests drive it with Playwright (never a browser download).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The approvers' console on the simulated estate, at http://127.0.0.1:8080/api/console.
.PHONY: demo review console test lint typecheck unit bench reliability clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -e .
	touch $(STAMP)

$(AZURITE):
	npm install --prefix .tools --no-audit --no-fund --silent azurite@$(AZURITE_VERSION)

$(AXE):
	npm install --prefix .tools --no-audit --no-fund --silent axe-core@$(AXE_VERSION)

$(CHECKOV):
	$(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/pip install --quiet "checkov==$(CHECKOV_VERSION)"

$(SHELLCHECK):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

demo: $(STAMP)
	$(BIN)/driftguard demo --policy examples/policy.json

# The access review of the simulated tenant, as the auditor gets it: the HTML page and the CSV.
review: $(STAMP)
	$(BIN)/driftguard review --simulated --policy examples/policy.json --format html --output driftguard-review.html
	$(BIN)/driftguard review --simulated --policy examples/policy.json --format csv --output driftguard-review.csv
	@echo "access review: driftguard-review.html (creep chart, figures, findings) and driftguard-review.csv"

console: $(STAMP)
	$(BIN)/python -m functions.devhost --policy examples/policy.json

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(AZURITE) $(AXE) $(CHROMIUM) $(CHECKOV) $(SHELLCHECK)
	$(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m bench scan --resources 10000
	$(BIN)/python -m bench scan --snapshot --resources 100000
	$(BIN)/python -m bench events --events 5000 --resources 500
	$(BIN)/python -m bench review --assignments 50000 --principals 2000
	$(BIN)/python -m bench peers --resources 1000
	$(BIN)/python -m bench peers --resources 10000

# What DriftGuard survives, with the figures: the fault campaign, the crash-point harness, the property
# tests and fuzzers, and the side-by-side benchmark with Cloud Custodian.
reliability: $(STAMP) $(AZURITE)
	$(BIN)/pytest -q -s -p no:cacheprovider tests/faults tests/crashpoints tests/properties
	$(BIN)/python -m bench peers --resources 1000

clean:
	rm -rf $(VENV) .tools build *.egg-info .pytest_cache .mypy_cache .ruff_cache
