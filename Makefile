# Two entry points, each doing its own set-up on a fresh machine:
#   make demo   build an embedding artifact from data_samples/ and show it
#   make test   lint, type-check and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck pytest install example bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/aligner build --corpus data_samples/corpus.txt --vocab data_samples/vocab.txt \
	    --out build/demo --dim 50 --epochs 10 --min-count 2 --seed 1 --force
	$(BIN)/aligner neighbors build/demo guitar -k 5

lint: $(STAMP)
	$(BIN)/ruff check aligner cli tests examples data_samples benchmarks
	$(BIN)/ruff format --check aligner cli tests examples data_samples benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

example: $(STAMP)
	$(BIN)/python examples/train_classifier.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
