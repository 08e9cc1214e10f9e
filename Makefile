# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Both create .venv when it is missing and install the package with what it needs.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# The CPU build of torch lies on disk on machines of this kind; pip finds it there.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
PIP := $(PY) -m pip install --disable-pip-version-check $(FIND_LINKS)

.PHONY: demo test bench install lint browser clean

$(STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --quiet --upgrade pip
	$(PIP) --quiet -e ".[dev,mpnet]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# Headless Chromium for the report test (Debian's package; skipped when present).
browser:
	@command -v chromium >/dev/null 2>&1 || ( \
	  echo "installing Debian's chromium for the report screenshot test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "could not install chromium: the report screenshot test will fail" )

demo: $(STAMP)
	$(VENV)/bin/upstreamnlp run configs/demo.yaml --out runs/demo

test: $(STAMP) browser
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check upstreamnlp tests benchmarks
	$(VENV)/bin/ruff format --check upstreamnlp tests benchmarks

# Benchmarks compare against peers (tomotopy, BERTopic, ...) and read ../shared.
bench: $(STAMP)
	$(PIP) --quiet -e ".[dev,mpnet,bench]"
	$(PY) benchmarks/bench_ingest.py
	$(PY) benchmarks/bench_preprocess.py
	$(PY) benchmarks/bench_topics.py
	$(PY) benchmarks/bench_themes.py
	$(PY) benchmarks/bench_compare.py
	$(PY) benchmarks/bench_demo_agreement.py

clean:
	rm -rf runs .cache .pytest_cache
