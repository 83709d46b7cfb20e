# thermodefect: set up, run the demo, run the tests.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= demo_out

.PHONY: install demo test test-fast lint docs bench clean

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/thermodefect demo --out $(OUT)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

docs: $(STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs/api docs/api/_build
	@echo "API reference: docs/api/_build/index.html"

# Two test processes of one thread each: the suite is mostly single-threaded Python, and two
# processes of two threads each on two cores spend their time waiting for each other.
TEST_ENV := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

test: lint docs
	$(TEST_ENV) $(VENV)/bin/pytest -q -n 2 --dist loadfile --cov --cov-report=
	@echo "statement coverage of the package: $$($(VENV)/bin/coverage report --format=total)%"

test-fast: $(STAMP)
	$(TEST_ENV) $(VENV)/bin/pytest -q -n 2 --dist loadfile -m "not slow"

bench: $(STAMP)
	$(PY) benchmarks/bench_pct.py

clean:
	rm -rf $(VENV) $(OUT)
