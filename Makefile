# Two commands for a new machine: `make demo` and `make test`.
# Each creates its own virtual environment (.venv) on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-city lint coverage clean

# pip's own output goes to .venv/pip.log and is shown only if it fails.
$(STAMP): pyproject.toml
	@echo "setting up $(VENV): poolab and what it needs (1 to 4 minutes the first time)..."
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@$(PY) -m pip install --quiet -e '.[pg,test,plot,print,web]' >> $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@echo "installed; now compiling the numeric kernels once (1 to 2.5 minutes), so later commands start at full speed"
	@$(VENV)/bin/poolab compile
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/poolab demo

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	@$(PY) -m pip install --quiet -e '.[pg,test,plot,print,lint]' >> $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	$(VENV)/bin/ruff check poolab cli tests benchmarks
	$(VENV)/bin/ruff format --check poolab cli tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Two runs, one figure: the whole suite with the kernels compiled (coverage cannot see
# inside numba code), then the kernel tests again with numba's JIT off, so the kernel
# bodies run as Python and count. The two slowest planner tests stay compiled only.
KERNEL_TESTS := $(filter-out tests/test_plan_agreement.py tests/test_plan_exact_dilution.py,\
	$(wildcard tests/test_assign.py tests/test_bayes.py tests/test_decode_*.py tests/test_kernel_layout.py \
	tests/test_pools.py tests/test_pool_share.py tests/test_simulate.py tests/test_designs.py \
	tests/test_retest_rule.py tests/test_prevalence.py tests/test_plan_*.py))
coverage: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile --cov=poolab --cov=poolab_cli --cov-report=
	NUMBA_DISABLE_JIT=1 $(PY) -m pytest -q -n 2 --dist loadfile --cov=poolab --cov=poolab_cli --cov-append \
		--cov-report=term:skip-covered $(KERNEL_TESTS)

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# City scale (issue 13): 2 and 10 million residents on SQLite and PostgreSQL, through the
# CLI (about 25 minutes on 2 cores; needs about 6 GB of disk and 8 GB of memory for the
# synthetic roster).
bench-city: $(STAMP)
	$(PY) benchmarks/bench_city.py --residents 2000000 10000000 --markdown

clean:
	rm -rf $(VENV) poolab-demo .pytest_cache
