# Two commands for a new user: `make chat` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
# The CPU build of torch: from the machine's local wheels where present, else PyTorch's CPU index
# (plain PyPI would pull a several-GB CUDA build).
TORCH_ARGS ?= $(if $(wildcard /opt/wheels/torch-2.13.0*),,--extra-index-url https://download.pytorch.org/whl/cpu)
SHARED_CHECK := ../shared/checks/contract.py

.PHONY: chat test index eval contract clean help

help:
	@echo "make chat   - set up .venv, build or update the index, serve the chat on http://127.0.0.1:7860"
	@echo "make test   - set up .venv and run the whole test suite (browser tests need Chromium)"
	@echo "make index  - build or update the index from corpus/"
	@echo "make eval   - run every gold set (dev, seeds, lee, lee-own) and print per-split metrics"
	@echo "make clean  - remove .venv and the built index"

$(STAMP): requirements.txt requirements-test.txt constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=python3 ...'"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(TORCH_ARGS) torch==2.13.0
	$(PIP) install -q $(TORCH_ARGS) -r requirements-test.txt
	$(PY) -m index.onnx_model --quiet
	touch $(STAMP)

index: $(STAMP)
	$(PY) -m index

chat: index
	$(PY) ui.py

eval: index
	$(PY) -m eval

contract: index
	@if [ -f $(SHARED_CHECK) ]; then $(PY) $(SHARED_CHECK); else echo "($(SHARED_CHECK) not found; contract check skipped)"; fi

test: $(STAMP)
	$(PY) -m pytest
	$(MAKE) --no-print-directory contract

clean:
	rm -rf $(VENV) .index
