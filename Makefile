# Two commands for a new machine: `make demo` and `make test`.
# Each creates its own virtual environment (.venv) on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[pg,test,plot,print,web]'
	$(VENV)/bin/poolab compile
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/poolab demo

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(PY) -m pip install --quiet -e '.[lint]'
	$(VENV)/bin/ruff check poolab cli tests
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) poolab-demo .pytest_cache
