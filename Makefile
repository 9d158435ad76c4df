# The course's commands. The two a learner needs:
#   make lab    set up (once) and open JupyterLab on the course
#   make test   set up (once) and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8888
STAMP  := $(VENV)/.course-installed
PIP    := $(PY) -m pip --disable-pip-version-check --no-input

.PHONY: setup lab test assets student solutions bench determinism doctor bundle

setup: $(STAMP) assets

# Reinstall only when requirements.txt or pyproject.toml changes.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned packages into $(VENV) (first time: a few minutes, about 4 GB) ..."
	@$(PIP) install -q -r requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
	@$(PIP) install -q --no-deps --no-build-isolation -e . 2>&1 | grep -v "^WARNING: Location" || true
	@$(PIP) check
	@$(PY) -c "import transformers, torch, tensorflow, utils" 2>/dev/null || \
		{ echo "error: the install did not complete; see the messages above"; exit 1; }
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
	$(PY) -m pytest -n 2 --dist loadfile --nbval --nbval-sanitize-with tests/sanitize.cfg

# Regenerate the student notebooks in notebooks/ from solutions/.
student: $(STAMP)
	$(PY) -m utils.generate

# Re-run solution notebooks in place (all, or NB=solutions/03_models_pt.ipynb), then regenerate.
solutions: setup
	$(PY) -m utils.generate --execute $(or $(NB),solutions/*.ipynb)

bench: setup
	$(PY) benchmarks/startup_and_assets.py
	$(PY) benchmarks/finetune_padding.py
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
