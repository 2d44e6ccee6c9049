# Two commands do everything on a fresh machine: `make demo` and `make test`. `make package` builds the deployable
# artefacts (.aws-sam/build, as `sam build` would) for `sam deploy`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := shared/requirements.lock
# The browser tests drive Debian's Chromium; `make test` installs it when these are missing.
CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver

.PHONY: install demo test test-fast test-slow lint typecheck lint-infra bench serve clean package lock browser-deps

install: $(STAMP)

# The layer's packages are installed at the versions of the lock (hashes stripped: pip's constraints take none),
# so the tests run on what `make package` deploys.
$(STAMP): pyproject.toml $(wildcard $(LOCK))
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	sed -n 's/^\([A-Za-z0-9][A-Za-z0-9._-]*==[^ ;]*\).*/\1/p' $(wildcard $(LOCK)) /dev/null > $(VENV)/layer-constraints.txt
	$(BIN)/python -m pip install --quiet -c $(VENV)/layer-constraints.txt -e '.[dev,offline]'
	touch $(STAMP)

# Regenerate shared/requirements.lock from shared/requirements.txt: every transitive dependency, pinned, with the
# hashes of all its wheels (aarch64 for Lambda, x86_64 for the import test).
lock: install
	$(BIN)/uv pip compile shared/requirements.txt --quiet --generate-hashes --python-version 3.13 \
	  --python-platform aarch64-manylinux2014 --custom-compile-command 'make lock' -o $(LOCK)

# .aws-sam/build/template.yaml and the folders it points at, as `sam build` writes them; then `sam deploy`.
package: install
	$(BIN)/python -m advocacy_offline.package

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

# Debian's chromium and chromium-driver, installed with apt-get when missing (as root, or through sudo).
browser-deps:
	@if [ -x "$(CHROMIUM)" ] && [ -x "$(CHROMEDRIVER)" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "make: the browser tests need $(CHROMIUM) and $(CHROMEDRIVER) (Debian's chromium and chromium-driver), and there is no apt-get to install them: install them by hand" >&2; exit 1; \
	fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	else echo "make: the browser tests need Debian's chromium and chromium-driver; installing them needs root, and there is no sudo: run 'apt-get install chromium chromium-driver' as root" >&2; exit 1; \
	fi; \
	echo "make: installing Debian's chromium and chromium-driver for the browser tests"; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null

# Every test: unit, integration, end-to-end, package, browser, and the slow ones (the 200-case throttled burst, the
# determinism runs under load, the fault runs through `advocacy run --faults`).
test: browser-deps lint typecheck lint-infra
	$(BIN)/pytest -q --durations=15

# While working: everything but the tests marked slow.
test-fast: browser-deps lint typecheck lint-infra
	$(BIN)/pytest -q -m "not slow"

test-slow: install
	$(BIN)/pytest -q -m slow

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache outbox .advocacy .aws-sam
