# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench lookup-eval clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (chartproof needs Python 3.11)" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/chartproof knowledge build
	@echo "== The coding engine has not landed yet: looking up a few phrases from the sample chart instead =="
	$(BIN)/chartproof lookup "DM2 w/ CKD stage 3b" "HTN" "acute on chronic HFrEF" "L distal radius fx, initial" "h/o colon ca"

test: $(STAMP)
	$(BIN)/ruff check agents api evals knowledge tests benchmarks
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check agents api evals knowledge tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_knowledge.py

lookup-eval: $(STAMP)
	$(BIN)/chartproof eval lookup evals/lookup/dev.jsonl

clean:
	rm -rf $(VENV) build *.egg-info
