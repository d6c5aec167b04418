# Two entry points: `make run` (the whole pipeline once, on embedded defaults) and `make test`.
# Both create .venv from pyproject.toml first, so a fresh clone needs nothing else.
VENV ?= .venv
PYTHON ?= python3
ARGS ?= --once

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev,postgres]'
	touch $@

.PHONY: install run test schemas
install: $(VENV)/.installed

run: install
	$(VENV)/bin/wirewatch run $(ARGS)

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q

schemas: install
	$(VENV)/bin/wirewatch schemas --write
