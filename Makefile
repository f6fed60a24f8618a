# The two commands of the README:  `make serve`  and  `make test`.
# Everything else here is what those two need on a fresh machine.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: serve test install install-test services clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Embedded server: SQLite under ./var, in-process bus, demo tenant; prints the logins.
serve: install
	$(BIN)/pos serve --demo --host $(HOST) --port $(PORT)

## The whole test suite, against the machine's real PostgreSQL, RabbitMQ and Redis (started,
## with RabbitMQ's management API, when they are not running).
test: install-test
	bash .ci/system-packages docker.io debootstrap chromium xmlsec1 gcc libc6-dev
	bash .ci/services
	POS_TEST_CONTAINERS=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

## Start PostgreSQL, RabbitMQ and Redis if they are not running (this machine's services).
services:
	bash .ci/services

clean:
	rm -rf $(VENV) var build dist *.egg-info
