# Two commands for a fresh machine:
#   make run   - create the venv, install Python and npm packages, build the editor, serve it
#   make test  - install what the tests need (incl. Chromium) and run every test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STATIC := backend/layerforge/static

.PHONY: run test lint venv frontend chromium test-py test-frontend bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,jax,torch]'
	touch $@

venv: $(VENV)/.installed

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

# Lint and type checks: Python (ruff, mypy) and the editor (ESLint, Prettier, tsc).
lint: venv frontend/node_modules/.installed
	$(VENV)/bin/ruff check backend tests bench
	$(VENV)/bin/ruff format --check backend tests bench
	$(VENV)/bin/mypy
	cd frontend && npm run lint

test-py: venv frontend chromium
	$(PY) -m pytest -q

test-frontend: venv frontend chromium
	cd frontend && npm test
	cd frontend && npm run e2e

test: lint
	$(MAKE) test-py test-frontend

bench: venv frontend chromium
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done
	cd frontend && npm run bench

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist $(STATIC) data
