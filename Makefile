# The course's commands. The two a learner needs:
#   make lab    set up (once) and open JupyterLab on the course
#   make test   set up (once) and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8888
STAMP  := $(VENV)/.course-installed
# When this `make` started; `make setup` ends with where the time to a ready course went.
SETUP_START := $(shell date +%s)
INSTALL_TIME := $(VENV)/.install-time
PIP    := $(PY) -m pip --disable-pip-version-check --no-input
# uv installs the pins several times faster than pip (README, Performance); it is installed
# into the environment from the package index first. INSTALLER=pip uses plain pip, which is
# also the fallback when uv cannot be installed or fails. uv compiles the bytecode at install
# (pip does by default): without it every kernel and test process, which the tests run with
# PYTHONDONTWRITEBYTECODE, compiles torch, TensorFlow and transformers again when it imports them.
INSTALLER  ?= uv
UV_VERSION := 0.13.9
UV         := $(VENV)/bin/uv

.PHONY: setup lab test assets student solutions bench determinism doctor bundle

setup: $(STAMP) assets
	@now=$$(date +%s); total=$$((now - $(SETUP_START))); \
	read started install < $(INSTALL_TIME) 2>/dev/null || started=none; \
	if [ "$$started" = "$(SETUP_START)" ]; then \
	  echo "Ready in $$total s: installing the packages $$install s, the assets $$((total - install)) s (per asset above)"; \
	else \
	  echo "Ready in $$total s: packages already installed, assets checked or built in $$total s"; \
	fi

# Reinstall only when requirements.txt or pyproject.toml changes.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned packages into $(VENV) (first time: a few minutes, about 4 GB) ..."
	@if [ "$(INSTALLER)" = uv ]; then \
	  $(PIP) install -q "uv==$(UV_VERSION)" >/dev/null 2>&1 || echo "uv is not available; using pip"; \
	fi
	@if [ "$(INSTALLER)" = uv ] && [ -x $(UV) ]; then \
	  $(UV) pip install --quiet --compile-bytecode --python $(PY) -r requirements.txt \
	    $$(for link in $${PIP_FIND_LINKS:-}; do printf -- '--find-links %s ' "$$link"; done) \
	  || { echo "uv failed; installing with pip"; \
	       $(PIP) install -q -r requirements.txt 2>&1 | grep -v "^WARNING: Location" || true; }; \
	else \
	  $(PIP) install -q -r requirements.txt 2>&1 | grep -v "^WARNING: Location" || true; \
	fi
	@$(PIP) install -q --no-deps --no-build-isolation -e . 2>&1 | grep -v "^WARNING: Location" || true
	@$(PIP) check
	@$(PY) -c "import transformers, torch, tensorflow, utils" 2>/dev/null || \
		{ echo "error: the install did not complete; see the messages above"; exit 1; }
	@echo "$(SETUP_START) $$(( $$(date +%s) - $(SETUP_START) ))" > $(INSTALL_TIME)
	@touch $(STAMP)

# Build (or verify) the offline checkpoints and data; idempotent.
assets: $(STAMP)
	@$(PY) -m utils.assets build

# JupyterLab on this machine only (loopback), protected by a token it prints.
lab: setup
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
		--ServerApp.root_dir=. --ServerApp.open_browser=True \
		$(if $(filter 0,$(shell id -u)),--allow-root)

test: setup
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder --nbval --nbval-sanitize-with tests/sanitize.cfg --nbval-kernel-startup-timeout 180 $(PYTEST_ARGS)

# Regenerate the student notebooks in notebooks/ from solutions/.
student: $(STAMP)
	$(PY) -m utils.generate

# Re-run solution notebooks in place (all, or NB=solutions/03_models_pt.ipynb), then regenerate.
solutions: setup
	$(PY) -m utils.generate --execute $(or $(NB),solutions/*.ipynb)

bench: setup
	$(PY) benchmarks/startup_and_assets.py
	$(PY) benchmarks/finetune_padding.py
	$(PY) benchmarks/bf16_training_step.py
	$(PY) benchmarks/inference.py
	$(PY) benchmarks/training_flops.py
	$(PY) benchmarks/notebook_memory.py

# Run the output-comparing notebook tests RUNS times (default 3) and report any cell that changed.
determinism: setup
	$(PY) scripts/determinism.py --runs $(or $(RUNS),3)

# Is this machine ready for a session? One line per check, under a minute.
doctor: $(STAMP)
	$(PY) -m utils.doctor

# An offline bundle for laptops without internet: make bundle OUT=/media/usb/hf-course-bundle
bundle: setup
	$(PY) -m utils.bundle make --out $(or $(OUT),$(error give the bundle folder: make bundle OUT=DIR))
