# The two set-up commands of the README: `make demo` and `make test`. Each installs what it needs: the demo the
# project with its sandbox extra and the Debian packages extraction needs; the tests everything.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
# Debian packages extraction needs (the demo's crawl extracts every format): LibreOffice (DOC/WPS/XLS conversion;
# the sandbox renders its DOC/WPS reports with it too), a CJK font, OCR for tables published as pictures.
DEMO_PACKAGES := libreoffice-writer-nogui libreoffice-calc-nogui python3-uno fonts-noto-cjk \
	tesseract-ocr tesseract-ocr-chi-sim
# The tests' besides: poppler-utils, a PostgreSQL server for the archive's tests (.ci/run starts a throwaway one),
# a Chromium for the dashboard's, a Redis server for the distributed crawl's (.ci/run again).
TEST_PACKAGES := $(DEMO_PACKAGES) poppler-utils postgresql chromium redis-server
# pytest's arguments. Two workers, a module per worker (its crawl fixture runs once): on CI's 2 cores the suite takes
# 10 min instead of 20 on one worker (the crawls and LibreOffice wait on I/O and subprocesses). Override to choose,
# e.g. `make test PYTEST_ARGS="-m 'not slow'"` (README, Tests).
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: test demo system-deps demo-deps debian-packages install bench fixtures

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	# pip 23 installs trafilatura without lxml_html_clean: upgrade pip first.
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(VENV)/bin/python
	# The test extra includes the sandbox extra, which `make demo` needs too.
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(DEMO_STAMP): pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[sandbox]'
	touch $(DEMO_STAMP)

install: system-deps $(STAMP)

system-deps:
	@$(MAKE) --no-print-directory debian-packages PACKAGES="$(TEST_PACKAGES)"

demo-deps:
	@$(MAKE) --no-print-directory debian-packages PACKAGES="$(DEMO_PACKAGES)"

debian-packages:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The fast checks first: lint (ruff), types (mypy over the files pyproject.toml names; pipelines/ also under --strict
# as a whole, which holds the libraries it imports from to their exported names too), then the tests.
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict pipelines
	$(PY) -m pytest $(PYTEST_ARGS)

demo: demo-deps $(DEMO_STAMP)
	$(PY) -m crawler.cli demo

bench: install
	$(PY) -m bench.extraction
	$(PY) -m bench.archive
	$(PY) -m bench.sandbox
	$(PY) -m bench.dashboard
	$(PY) -m bench.crawl
	$(PY) -m bench.distributed
	$(PY) -m bench.discovery

fixtures: install
	$(PY) -m tests.build_fixtures
