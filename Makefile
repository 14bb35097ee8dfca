# newsdesk: `make demo` runs the site with demo content, `make test` runs every test.
# Works on a fresh machine with python3 and make: the first run builds .venv.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?= --durations=15

.PHONY: demo test lint format venv tools bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

# Browser and HTML-checker tools for the page tests (axe-core, Nu HTML Checker).
# Optional on a developer machine: without npm the tests that need them say so.
node_modules/.installed: package.json
	@if command -v npm >/dev/null 2>&1; then \
		npm install --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: browser accessibility and HTML validation tests will be skipped"; fi

tools: node_modules/.installed

demo: venv
	$(PY) -m newsdesk migrate --noinput
	$(PY) -m newsdesk load_demo
	$(PY) -m newsdesk db_worker --batch --no-startup-delay --no-reload --verbosity 0
	$(PY) -m newsdesk collectstatic --noinput --verbosity 0
	$(PY) -m newsdesk serve --host $(HOST) --port $(PORT) --with-worker

# With NEWSDESK_TEST_POSTGRES_URL set (CI sets it), the whole suite runs a
# second time on PostgreSQL, with the cache in Redis when NEWSDESK_TEST_REDIS_URL
# is set too: every configuration must pass the same tests.
POSTGRES_TESTS ?= tests

test: venv
	-@$(MAKE) --no-print-directory tools
	$(PY) -m pytest $(PYTEST_ARGS)
	@if [ -n "$$NEWSDESK_TEST_POSTGRES_URL" ]; then \
		echo "== the same tests on PostgreSQL (+ Redis cache): $(POSTGRES_TESTS)"; \
		if [ -n "$$NEWSDESK_TEST_REDIS_URL" ]; then \
			export NEWSDESK_CACHE_URL="$${NEWSDESK_TEST_REDIS_URL%/*}/1"; fi; \
		NEWSDESK_TEST_DATABASE_URL="$$NEWSDESK_TEST_POSTGRES_URL" \
			$(PY) -m pytest $(PYTEST_ARGS) $(POSTGRES_TESTS); \
	fi

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: venv
	@for b in bench/*; do [ -x "$$b" ] && echo "== $$b" && $(PY) "$$b"; done

clean:
	rm -rf $(VENV) node_modules var .pytest_cache
