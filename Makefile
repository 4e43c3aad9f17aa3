# make report · make test · make lab · make bench — each makes .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.test-stamp
ARGS ?=

.PHONY: setup report test lint lab bench clean

# What a run needs, and nothing more.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	# the `aftersales` kernel the notebooks name, so that papermill and nbconvert find it in .venv
	$(PY) -m ipykernel install --sys-prefix --name aftersales --display-name Aftersales >/dev/null
	touch $(STAMP)

# The tests' extras on top: browser driver, SMTP server, property tests, the layers linter, ruff.
$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(TEST_STAMP)

setup: $(STAMP)

## The full HTML report pack on the built-in demo data (month to date); prints index.html's path.
report: setup
	$(VENV)/bin/aftersales run $(ARGS)

## Lint (ruff) and the layers contract (import-linter), then the test suite on two workers (12–14 min on
## 2 cores; a third worker is no faster: the tests are busy, not waiting).
## One test alone: make test ARGS="-n 0 tests/run/test_groups.py -k league".
test: $(TEST_STAMP) lint
	$(PY) -m pytest -q -n 2 $(ARGS)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check --no-cache lib tests benchmarks tools
	PYTHONPATH=lib $(VENV)/bin/lint-imports

# JupyterLab lives in its own venv: its dependencies (jsonschema's format checkers) would slow
# every papermill/nbconvert import of the scheduled runs by seconds. Its `aftersales` kernel runs
# .venv's Python, with AFTERSALES_INTERACTIVE=1 so that the reports open with their widgets.
LAB_VENV := .venv-lab
LAB_STAMP := $(LAB_VENV)/.installed-stamp
LAB_ARGS ?=

$(LAB_STAMP):
	$(PYTHON) -m venv $(LAB_VENV)
	$(LAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LAB_VENV)/bin/python -m pip install --quiet "jupyterlab>=4.2,<5" "jupyterlab_widgets>=3.0,<4" "nbstripout>=0.8,<1"
	touch $(LAB_STAMP)

## JupyterLab on notebooks/ with the `aftersales` kernel and the demo data, on localhost only;
## open the link it prints (it carries the token). LAB_ARGS=--no-browser on a machine without one.
## Installs nbstripout as this clone's git filter: notebooks are committed without outputs.
lab: setup $(LAB_STAMP)
	# the Lab autosaves outputs (customer names, figures) into the notebooks: git strips them on commit
	test -x $(LAB_VENV)/bin/nbstripout || $(LAB_VENV)/bin/python -m pip install --quiet "nbstripout>=0.8,<1"
	if git rev-parse --git-dir >/dev/null 2>&1; then $(LAB_VENV)/bin/nbstripout --install; fi
	$(PY) -m ipykernel install --prefix $(LAB_VENV) --name aftersales --display-name Aftersales \
		--env AFTERSALES_INTERACTIVE 1 >/dev/null 2>&1
	# ... loading aftersales.explore.lab, so that the explorer takes the screen (one report on screen)
	$(PY) -m aftersales.explore.lab $(LAB_VENV)/share/jupyter/kernels/aftersales/kernel.json >/dev/null
	$(PY) -c "import datetime; from aftersales.source import demo; print('demo data:', demo.ensure(datetime.date.today()))"
	env -u MPLBACKEND JUPYTER_PATH="$(CURDIR)/$(LAB_VENV)/share/jupyter" \
		$(LAB_VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)/notebooks" \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

## Speed and memory: makes the demo data it needs (large: ~3 min, ~700 MB) and prints a table.
bench: setup
	$(PY) benchmarks/bench.py $(ARGS)

clean:
	rm -rf $(VENV) $(LAB_VENV) outputs/*/ data/
