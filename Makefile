# Wegwijzer — the two commands: `make demo` and `make test`. Both build on `make install`.
SHELL := /bin/bash
PYTHON ?= python3.10
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.wegwijzer-installed
PORT ?= 5005
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
# Rasa's training cache (.rasa/cache) keeps 1 GB by default, less than one training of this
# assistant writes (featurized training data of three count-vector featurizers), so the oldest
# entries were dropped during the training itself and every `make train` trained again.
export RASA_MAX_CACHE_SIZE ?= 6000

.PHONY: install system-deps demo train test evaluate lint-responses clean bench

# The Python environment only: venv, pinned dependencies (constraints.txt), the project itself,
# and the local Dutch spaCy pipeline. Idempotent: does nothing when nothing changed.
install: $(STAMP) build/spacy-nl/meta.json

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip==24.0"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $@

build/spacy-nl/meta.json: $(STAMP)
	$(BIN)/python -m bot.nlp.build_spacy

# Debian packages the browser tests need (Chromium). Runs apt only when something is missing.
system-deps:
	@scripts/install-system-deps.sh

train: install
	$(BIN)/wegwijzer train

demo: install train
	$(BIN)/wegwijzer cases demo
	$(BIN)/wegwijzer serve --port $(PORT)

test: install system-deps train
	$(BIN)/python -m pytest

evaluate: install
	$(BIN)/wegwijzer evaluate nlu

lint-responses: install
	$(BIN)/wegwijzer lint-responses

# Load benchmark (issue 7): Wegwijzer demo + production setup and the stock `rasa init` assistant
# at 1/10/20/50 concurrent conversations; writes benchmarks/results.{md,json,png}. Takes ~20 min.
bench: install
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf models build .pytest_cache results
