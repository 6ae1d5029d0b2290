# kgen: the two commands are `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BACKENDS ?= tensorflow jax torch
DEMO_BACKEND ?= jax
PYTEST_ARGS ?=
# two pytest-xdist workers: the machines have 2 cores and most tests run on one
PYTEST_WORKERS ?= 2

.PHONY: setup demo test test-backend lint docs docs-serve clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

# Train a VAE on the embedded digits (under a minute on 2 cores) and write
# samples, reconstructions, a latent traversal, metrics and the model to runs/.
demo: setup
	KERAS_BACKEND=$${KERAS_BACKEND:-$(DEMO_BACKEND)} $(BIN)/kgen demo --out runs/demo

# Lint, the whole suite on every backend, and the documentation site.
test: setup
	$(BIN)/ruff check kgen tests examples benchmarks
	@for backend in $(BACKENDS); do \
		echo "=== tests on KERAS_BACKEND=$$backend ==="; \
		KERAS_BACKEND=$$backend $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS) || exit 1; \
	done
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir build/site
	$(BIN)/python tests/check_site.py build/site

test-backend: setup
	KERAS_BACKEND=$${KERAS_BACKEND:-jax} $(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check kgen tests examples benchmarks
	$(BIN)/ruff format --check kgen tests examples benchmarks

docs: setup
	$(BIN)/mkdocs build --strict --site-dir build/site

docs-serve: setup
	$(BIN)/mkdocs serve

clean:
	rm -rf build site runs .pytest_cache .ruff_cache
