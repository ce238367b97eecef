# AI Hub: `make run` serves a demo workspace, `make test` runs the whole suite, `make lint` the static checks.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run migrate demo collectstatic serve-prod worker beat test test-fast lint check-deploy bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]' || $(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	@echo "Serving AI Hub on http://$(HOST):$(PORT)/ (sign in as demo / aihub-demo)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production, as the image runs it (docker-entrypoint.sh): DEBUG off, static files collected
# into STATIC_ROOT (default data/staticfiles), migrations, then gunicorn with WEB_CONCURRENCY
# workers x GUNICORN_THREADS threads (2 x 4). Needs SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and
# REDIS_URL in the environment; on plain HTTP also SECURE_SSL_REDIRECT=false,
# SESSION_COOKIE_SECURE=false and CSRF_COOKIE_SECURE=false.
collectstatic: install
	AIHUB_BUILD_ONLY=true DEBUG=false $(BIN)/python manage.py collectstatic --noinput

serve-prod: collectstatic
	@test -n "$$SECRET_KEY" || { echo "serve-prod: set SECRET_KEY (python -c 'import secrets; print(secrets.token_urlsafe(50))')"; exit 1; }
	PATH="$(CURDIR)/$(BIN):$$PATH" DEBUG=false BIND=$(HOST):$(PORT) ./docker-entrypoint.sh web

worker: install
	$(BIN)/celery -A aihub worker --loglevel=INFO

beat: install
	$(BIN)/celery -A aihub beat --loglevel=INFO --schedule=data/celerybeat-schedule

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

# Static checks, a few seconds in all (CI runs them before the tests): ruff's rules and format,
# the templates, the import contracts of pyproject.toml and migrations in step with the models
# (against an in-memory SQLite, so no database and no environment are needed).
lint: install
	$(BIN)/ruff check --output-format concise .
	$(BIN)/ruff format --check --output-format concise .
	$(BIN)/djlint templates --lint
	$(BIN)/lint-imports --no-cache --no-logo
	DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run

check-deploy: collectstatic
	DEBUG=false SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=aihub.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

bench: install
	for script in $(filter-out bench/harness.py bench/http_harness.py,$(wildcard bench/*.py)); do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
