# make report · make test · make lab · make bench — each makes .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
ARGS ?=

.PHONY: setup report test lab bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

## The full HTML report pack on the built-in demo data (month to date); prints index.html's path.
report: setup
	$(VENV)/bin/aftersales run $(ARGS)

## The test suite.
test: setup
	$(PY) -m pytest -q $(ARGS)

clean:
	rm -rf $(VENV) outputs/*/ data/
