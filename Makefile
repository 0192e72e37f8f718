# Two commands for a new machine: `make demo` and `make test`.
# Each creates its own virtual environment (.venv) on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-city lint coverage messages clean

# pip's own output goes to .venv/pip.log and is shown only if it fails.
$(STAMP): pyproject.toml
	@echo "setting up $(VENV): poolab and what it needs (1 to 4 minutes the first time)..."
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@$(PY) -m pip install --quiet -e '.[pg,plot,print,web]' >> $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@echo "installed; compiling every numeric kernel in the background (log: $(VENV)/compile.log);"
	@echo "a command that needs a kernel not yet compiled compiles that one itself"
	@nohup $(VENV)/bin/poolab compile > $(VENV)/compile.log 2>&1 &
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/poolab demo

# The test tools (pytest, hypothesis, scipy, coverage, selenium...) only for the tests: with
# coverage and scipy installed, numba imports both in every command that runs a kernel
# (0.2-0.3 s of CPU), so `make demo` alone leaves them out.
TEST_STAMP := $(VENV)/.installed-test
$(TEST_STAMP): $(STAMP) pyproject.toml
	@$(PY) -m pip install --quiet -e '.[pg,test,plot,print,web]' >> $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@touch $(TEST_STAMP)

test: $(TEST_STAMP)
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
coverage: $(TEST_STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile --cov=poolab --cov=poolab_cli --cov-report=
	NUMBA_DISABLE_JIT=1 $(PY) -m pytest -q -n 2 --dist loadfile --cov=poolab --cov=poolab_cli --cov-append \
		--cov-report=term:skip-covered $(KERNEL_TESTS)

# The district set (about ten minutes on 2 cores), then its targets table; every script:
# $(PY) benchmarks/run_all.py
bench: $(TEST_STAMP)
	$(PY) benchmarks/run_all.py --district

# City scale (issue 13): 2 and 10 million residents on SQLite and PostgreSQL, through the
# CLI (about 25 minutes on 2 cores; needs about 6 GB of disk and 8 GB of memory for the
# synthetic roster).
bench-city: $(TEST_STAMP)
	$(PY) benchmarks/bench_city.py --residents 2000000 10000000 --markdown

# The Chinese catalogue (poolab/locale/zh_CN): every message of the library, the front end, the
# command post's templates and Click's own, extracted into poolab.pot (not kept: it is made
# again each time), merged into zh_CN's poolab.po (kept, translated by hand; new messages
# arrive untranslated and tests/test_i18n.py says which), compiled into poolab.mo (kept, so
# that an install needs no Babel; the same test checks it is fresh).
CLICK_DIR = $$($(PY) -c 'import click, os; print(os.path.dirname(click.__file__))')
messages: $(TEST_STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 --no-location --sort-output --no-wrap \
		--project poolab -o poolab/locale/poolab.pot poolab cli $(CLICK_DIR) > /dev/null
	$(VENV)/bin/pybabel update -i poolab/locale/poolab.pot -d poolab/locale -D poolab -l zh_CN \
		--no-wrap --no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel compile -d poolab/locale -D poolab -l zh_CN --statistics

clean:
	rm -rf $(VENV) poolab-demo .pytest_cache
