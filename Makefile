# Two commands for a fresh machine:
#   make run   - create the venv with the app alone, install npm packages, build the editor, serve it
#   make test  - add what the tests need (test tools, JAX, PyTorch, Chromium) and run every test,
#                the docker compose stack's included where a Docker Engine can run (root on Debian)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STATIC := backend/layerforge/static

.PHONY: run test lint venv venv-test frontend chromium test-py test-frontend test-compose bench clean

# The app alone: what `make run` needs.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# What the tests and benchmarks need besides: the test tools and the other Keras backends.
$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test,jax,torch]'
	touch $@

venv: $(VENV)/.installed

venv-test: $(VENV)/.installed-test

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend: frontend/node_modules/.installed
	cd frontend && npm run build
	rm -rf $(STATIC) && cp -r frontend/dist $(STATIC)

run: venv frontend
	$(VENV)/bin/layerforge serve

chromium:
	@command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

# Lint and type checks: Python (ruff, mypy, the layers contract: lint-imports) and the editor
# (ESLint, Prettier, tsc).
lint: venv-test frontend/node_modules/.installed
	$(VENV)/bin/ruff check backend tests bench
	$(VENV)/bin/ruff format --check backend tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	cd frontend && npm run lint

test-py: venv-test frontend chromium
	$(PY) -m pytest -q

test-frontend: venv-test frontend chromium
	cd frontend && npm test
	cd frontend && npm run e2e

# The docker compose stack, built from this checkout on stand-in base images and run with a
# Docker Engine (deploy/standins: engine.sh installs and starts one where it may, as root).
test-compose: venv-test
	deploy/standins/engine.sh
	$(PY) -m pytest -q tests/compose

# engine.sh exits 3 where no engine can be had (not root, none running): say so and go on.
test: lint
	$(MAKE) test-py test-frontend
	@deploy/standins/engine.sh; rc=$$?; \
	if [ $$rc = 3 ]; then echo "make test: no Docker Engine here, so test-compose did not run"; \
	elif [ $$rc != 0 ]; then exit $$rc; else $(MAKE) test-compose; fi

bench: venv-test frontend chromium
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done
	cd frontend && npm run bench

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist $(STATIC) data
