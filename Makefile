# annotkit: two commands on a fresh machine (Python 3.11 is all it needs).
#   make demo   install, then run the pipeline on the seed corpus and write its HTML report
#   make test   install with dev extras, then run the whole test suite
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint format bench clean tools screenshot

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	# torch first and pinned: an unpinned torch pulls GBs of CUDA packages
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[all,dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/annotkit run seeds -o annotations/pre
	$(BIN)/annotkit report annotations/pre --gold annotations/gold/seeds.jsonl -o annotations/pre/report.html

# Debian packages the tests use: Chromium + ChromeDriver (browser tests of the doccano UI and
# the HTML report) and jq (the README's examples, which the suite runs)
SYSTEM_TOOLS := chromium chromedriver jq
tools:
	@missing=0; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null 2>&1 || missing=1; done; \
	if [ $$missing = 1 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium chromium-driver jq; fi

# The README's picture of the demo report; a small CJK font so that it shows the Chinese
# (the browser tests read the text, not the glyphs, and need no font)
screenshot: demo tools
	@fc-list :lang=zh 2>/dev/null | grep -q . || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei; }
	$(BIN)/python bench/screenshot.py annotations/pre/report.html docs/report-summary.png --height 1050
	$(BIN)/python bench/screenshot.py annotations/pre/report.html docs/report.png --scroll-to d4 \
		--height 1300 --js "const t = document.querySelector('#d4 .text'); \
		t.scrollTop = t.querySelector('.run[data-lang=zh]').offsetTop - t.offsetTop - 150"

test: install tools
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
