# Entry points, each doing its own set-up on a fresh machine:
#   make demo     build an embedding artifact from data_samples/ and show it
#   make test     lint, type-check and run the whole test suite
#   make example  build the demo artifact, then `aligner compare` on data_samples/
PYTHON ?= python3
VENV   ?= .venv
# e.g. https://download.pytorch.org/whl/cpu: take torch from that index first (its CPU build)
TORCH_INDEX ?=
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck pytest install example bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(if $(TORCH_INDEX),$(BIN)/python -m pip install --quiet -c constraints.txt --index-url $(TORCH_INDEX) torch)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,plot,spark]'
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
	$(BIN)/aligner build --corpus data_samples/corpus.txt --vocab data_samples/vocab.txt \
	    --out build/demo --dim 50 --epochs 10 --min-count 2 --seed 1 --force
	$(BIN)/aligner compare --artifact build/demo --train data_samples/train.tsv \
	    --test data_samples/test.tsv --text-column 2 --label-column 1 \
	    --ways random,init,frozen,slow,partial --seeds 3 --out build/compare --force

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
