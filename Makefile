# The two commands a fresh machine needs:
#   make quickstart   install everything and run notebooks/quickstart.ipynb end to end
#   make test         install the test needs, run the linters and the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: quickstart test lint install bench system-deps

$(STAMP): pyproject.toml labextension/package.json labextension/yarn.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

quickstart: $(STAMP)
	$(VENV)/bin/jupyter nbconvert --to notebook --execute notebooks/quickstart.ipynb \
		--output-dir build --output quickstart.executed.ipynb
	@echo
	@echo "Ran notebooks/quickstart.ipynb end to end -> build/quickstart.executed.ipynb"
	@echo "Open it in JupyterLab:  $(VENV)/bin/jupyter lab notebooks/quickstart.ipynb"

lint: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

# The browser tests (tests/browser) drive Debian's Chromium: Playwright cannot download browsers here.
# The benchmarks' short runs (tests/test_benchmarks.py) take peak RSS from GNU time.
system-deps:
	(command -v chromium >/dev/null && test -x /usr/bin/time) || (apt-get update && apt-get install -y chromium time)

test: lint system-deps
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/bench_core.py
