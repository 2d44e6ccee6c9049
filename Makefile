# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast test-slow lint typecheck lint-infra bench serve clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/advocacy demo --outbox outbox

serve: install
	$(BIN)/advocacy serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy
	# every handler is functions/<name>/app.py: check each on its own (same module name)
	for f in functions/*/app.py; do $(BIN)/mypy --strict --follow-imports=silent $$f || exit 1; done

lint-infra: install
	$(BIN)/python -m advocacy_offline.lint_infra

test: lint typecheck lint-infra
	$(BIN)/pytest -q -m "not slow"

test-slow: install
	$(BIN)/pytest -q -m slow

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache outbox .advocacy
