# The two set-up commands of the README: `make demo` and `make test`. Both install everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Debian packages extraction needs: LibreOffice (DOC/WPS/XLS conversion, PDF fixtures), a CJK font, OCR;
# the archive's tests need a PostgreSQL server (.ci/run starts a throwaway one); the dashboard's, a Chromium;
# the distributed crawl's, a Redis server (.ci/run again).
DEBIAN_PACKAGES := libreoffice-writer-nogui libreoffice-calc-nogui python3-uno fonts-noto-cjk \
	tesseract-ocr tesseract-ocr-chi-sim poppler-utils postgresql chromium redis-server

.PHONY: test demo system-deps install bench fixtures

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# pip 23 installs trafilatura without lxml_html_clean: upgrade pip first.
	$(PY) -m pip install --quiet --upgrade pip
	# The test extra includes the sandbox extra, which `make demo` needs too.
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: system-deps $(STAMP)

system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
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
	$(PY) -m pytest

demo: install
	$(PY) -m crawler.cli demo

bench: install
	$(PY) -m bench.extraction
	$(PY) -m bench.archive
	$(PY) -m bench.sandbox
	$(PY) -m bench.dashboard
	$(PY) -m bench.crawl
	$(PY) -m bench.distributed

fixtures: install
	$(PY) -m tests.build_fixtures
