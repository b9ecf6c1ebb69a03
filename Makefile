# sifsim: `make run` runs the default scenario, `make test` runs the tests.
# Both create .venv with a Python 3.12/3.13 (found by .ci/find-python) and install
# the pinned dependencies on first use; `make test` also makes sure of headless Chromium
# (.ci/install-chromium) for the report's browser tests.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.sifsim-installed
EXTRAS ?= test,joblib,submitit,discovery
ARGS   ?=

.PHONY: run test bench bench-smoke clean-venv report browser
run: $(STAMP)
	$(VENV)/bin/sifsim $(ARGS)

test: $(STAMP) browser
	$(PY) -m pytest -n 2 --dist loadfile -q $(ARGS)

bench: $(STAMP)
	$(PY) -m pytest tests/benchmarks -m benchmark -s -p no:xdist $(ARGS)

bench-smoke: $(STAMP)
	SIFSIM_BENCH_SMOKE=1 $(PY) -m pytest tests/benchmarks -m benchmark -s -p no:xdist -q

$(STAMP): pyproject.toml
	@test -x $(PY) || { py=$$(.ci/find-python) && echo "creating $(VENV) with $$py" && "$$py" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

# headless Chromium (Debian's package) for the report's browser tests: installed with apt-get when
# /usr/bin/chromium is missing and we are root; otherwise those tests skip and say why
browser:
	@.ci/install-chromium

clean-venv:
	rm -rf $(VENV)
