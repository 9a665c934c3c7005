# LAKSA-GIS developer entry points.
#
#   make run    install what is missing, migrate, load the Tangerang fixtures and demo accounts,
#               then serve the app (HTTP + WebSocket) on http://127.0.0.1:8000/ and run a job
#               worker beside it (notifications, SP4N-LAPOR!, schedules; docs/OPERATIONS.md)
#   make test   install what is missing (including Chromium for browser tests), then pytest;
#               extra pytest arguments: make test PYTEST_ARGS="-k boundaries -x"
#
# Other targets: setup, bench, fuzz, clean. Every machine (and every CI run) starts fresh, so
# setup/test install system packages and Python requirements themselves; both steps are
# idempotent and take well under a second when nothing is missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
BOOTSTRAP := bash scripts/bootstrap.sh
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# npm dependencies, only when the project has a package.json.
define npm_deps
@if [ -f package.json ]; then \
		if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; \
		else npm install --no-audit --no-fund; fi; \
	fi
endef

# .mo files are not committed: compile them whenever a locale/ directory exists
# (--ignore keeps Django from walking into the virtualenv's and node's locale dirs).
define compile_messages
@if find . \( -path ./$(VENV) -o -path ./node_modules -o -path ./.git \) -prune -o \
		-type d -name locale -print -quit | grep -q .; then \
		$(PY) manage.py compilemessages --ignore=$(VENV) --ignore=node_modules; \
	fi
endef

.PHONY: help setup run province test bench fuzz clean serve-prod worker

help:
	@echo "make run    - set up everything and serve LAKSA-GIS on http://$(HOST):$(PORT)/"
	@echo "make test   - set up everything (with Chromium) and run the test suite"
	@echo "              (PYTEST_ARGS=\"...\" passes arguments to pytest)"
	@echo "make setup  - install, migrate and collect static files only"
	@echo "make province - add the rest of Banten (every kab/kota a government) and the national layer"
	@echo "make bench  - setup, then run bench/run_all.py"
	@echo "make serve-prod - HTTP by gunicorn (:HTTP_PORT) + WebSocket by daphne (:WS_PORT), docs/SERVING.md"
	@echo "make worker - one more job worker (make run and serve-prod already start one)"
	@echo "make fuzz   - run the tests marked 'fuzz'"
	@echo "make clean  - remove .venv, staticfiles/ and artifacts/"

setup:
	$(BOOTSTRAP) system
	$(BOOTSTRAP) venv
	$(BOOTSTRAP) db
	$(npm_deps)
	$(compile_messages)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput

# The channel layer uses Redis when REDIS_URL is set (in-memory otherwise).
run: export REDIS_URL ?= redis://127.0.0.1:6379/0
run: setup
	$(PY) manage.py load_city_fixtures --demo
	@echo "LAKSA-GIS is running at http://$(HOST):$(PORT)/ with a job worker  (Ctrl+C stops both)"
	exec scripts/run_with_worker.sh $(PY) -- $(VENV)/bin/daphne -b $(HOST) -p $(PORT) laksa_gis.asgi:application

# The whole province beside (or instead of) Kota Tangerang: one boundary generation for Banten, a
# government with the default template for each kab/kota not set up yet (Kota Tangerang keeps
# its own), and Indonesia's kab/kota for "who is responsible" elsewhere (docs/NEW_REGION.md).
province: setup
	$(PY) manage.py setup_province --name Banten --provinsi fixtures/banten/provinsi.geojson \
		--kabkota fixtures/banten/kabkota.geojson --kecamatan fixtures/banten/kecamatan.geojson \
		--desa fixtures/banten/desa.geojson
	$(PY) manage.py load_national_areas

# No migrate here: pytest-django builds test_laksa (from template1, which has PostGIS).
test:
	$(BOOTSTRAP) system --browser
	$(BOOTSTRAP) venv
	$(BOOTSTRAP) db
	$(npm_deps)
	$(compile_messages)
	$(PY) manage.py collectstatic --noinput
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/pytest -m "not fuzz" $(PYTEST_ARGS)

bench: setup
	$(PY) bench/run_all.py

# How production serves one machine (docs/SERVING.md): gunicorn's sync workers serve HTTP (WSGI,
# gunicorn.conf.py) on HTTP_PORT, daphne serves WebSocket on WS_PORT, nginx in front sends /ws/
# to daphne and everything else to gunicorn. Takes its settings from the environment
# (LAKSA_ENV=production, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL, ...).
# A job worker (manage.py jobs_worker) runs beside them and stops with them; more workers, on
# this or other machines, may be started with `make worker` (docs/DEPLOY.md).
HTTP_PORT ?= 8101
WS_PORT ?= 8001
serve-prod:
	$(BOOTSTRAP) venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput
	@echo "HTTP: gunicorn on $(HOST):$(HTTP_PORT)   WebSocket: daphne on $(HOST):$(WS_PORT)"
	$(VENV)/bin/daphne -b $(HOST) -p $(WS_PORT) --proxy-headers laksa_gis.asgi:application & \
	trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	scripts/run_with_worker.sh $(PY) -- \
		$(VENV)/bin/gunicorn -c gunicorn.conf.py -b $(HOST):$(HTTP_PORT) laksa_gis.wsgi:application

# One more job worker (production: as many as the load needs, on any machine with DATABASE_URL).
worker:
	$(BOOTSTRAP) venv
	exec $(PY) manage.py jobs_worker

fuzz:
	$(BOOTSTRAP) system
	$(BOOTSTRAP) venv
	$(BOOTSTRAP) db
	$(npm_deps)
	$(compile_messages)
	$(PY) manage.py collectstatic --noinput
	$(VENV)/bin/pytest -m fuzz $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) staticfiles/ artifacts/
