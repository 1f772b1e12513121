# ahcue — one command each to set up, run the demo, and test. See README.md.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := ffmpeg espeak-ng chromium procps

.PHONY: setup system-packages venv demo lint test bench clean

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
	# cluster: Ray for `ahcue extract --engine ray`, installed here so CI tests it.
	$(BIN)/python -m pip install -q -e '.[test,cluster]'

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

bench:
	$(BIN)/python -m benchmarks

clean:
	rm -rf out .pytest_cache
