# Thin wrapper: bootstrap uv when missing, sync the workspace into .venv, run.
SHELL := /bin/bash
PYTHON ?= python3
# uv from PATH, else a private copy installed from PyPI into .tools/ on first use.
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never

.PHONY: up test lint bench soak sync uv

uv:
	@[ -x "$(UV)" ] || { echo "installing uv into .tools/ (once)"; \
	  $(PYTHON) -m venv .tools && .tools/bin/pip install --quiet --disable-pip-version-check uv; }

sync: uv
	@$(UV) sync --frozen --all-packages --quiet

up: sync
	@$(UV) run --frozen --no-sync crm up

test: sync
	@$(UV) run --frozen --no-sync pytest $(PYTEST_ARGS)

lint: sync
	@$(UV) run --frozen --no-sync ruff check .
	@$(UV) run --frozen --no-sync ruff format --check .
	@$(UV) run --frozen --no-sync mypy contracts/src libs/servicekit/src

bench: sync
	@$(UV) run --frozen --no-sync python -m bench

soak: sync
	@$(UV) run --frozen --no-sync pytest -m slow $(PYTEST_ARGS)
