# Quick start: `make run` serves the demo county; `make test` runs the whole suite.
# Dependencies: ranges in pyproject.toml; exact pins with hashes in requirements.lock (production: the Dockerfile
# installs it) and requirements-dev.lock (the same pins plus the test and dev tools: the venv, CI). `make lock`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip-compile options shared by both lock files; the header of each file names `make lock` as its source.
COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras --allow-unsafe \
	--generate-hashes --no-emit-index-url --no-emit-find-links

.PHONY: run test install demo bench clean lock lint ruff codespell shellcheck mypy mypy-baseline imports

# The venv holds exactly the lock (--require-hashes: every package pinned, every file checked against its hash),
# then the project itself without its dependencies; setuptools comes from the lock too (no build isolation).
# PYTHONWARNINGS: setuptools would warn that the folder povertyapp/ has the project's name, which is harmless here.
$(STAMP): requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Rewrites both lock files from pyproject.toml, keeping every pin that still fits its range (pip-compile reads the
# old file): after a change of pyproject.toml, `make lock`, `make install`, commit pyproject.toml and both locks.
# `make lock LOCK_ARGS=--upgrade` moves every package to its newest allowed release,
# `make lock LOCK_ARGS="--upgrade-package django"` only that one.
lock: $(STAMP)
	$(COMPILE) $(LOCK_ARGS) -o requirements.lock pyproject.toml
	$(COMPILE) $(LOCK_ARGS) --extra test --extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml
	$(BIN)/python .ci/lock_check.py

demo: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty

run: demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# Every benchmark in bench/ at a quick size on PostgreSQL, then one table of figures and ratios (bench/run_all.py;
# BENCH_ARGS=--full for each benchmark's own size, BENCH_ARGS="--only exit_check" for one).
bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# What CI checks besides the tests (the first three are also pre-commit hooks: .pre-commit-config.yaml).
lint: ruff codespell shellcheck mypy imports

ruff: $(STAMP)
	$(BIN)/ruff check .

codespell: $(STAMP)
	$(BIN)/codespell

shellcheck:
	shellcheck .ci/run

# mypy's exit status is 1 when it found errors (mypy-baseline then decides), 2 when it could not run at all.
# Fails on errors that mypy-baseline.txt does not list; `make mypy-baseline` rewrites that file from today's errors.
mypy: $(STAMP)
	@mkdir -p tmp
	$(BIN)/mypy . > tmp/mypy.txt || [ $$? -eq 1 ] || { cat tmp/mypy.txt; exit 2; }
	$(BIN)/mypy-baseline filter < tmp/mypy.txt

mypy-baseline: $(STAMP)
	@mkdir -p tmp
	$(BIN)/mypy . > tmp/mypy.txt || [ $$? -eq 1 ] || { cat tmp/mypy.txt; exit 2; }
	$(BIN)/mypy-baseline sync < tmp/mypy.txt

# The architecture contracts of .importlinter (layers, independent apps), once that file exists.
imports: $(STAMP)
	if [ -f .importlinter ]; then $(BIN)/lint-imports --no-logo; else echo "no .importlinter: no contract to check"; fi

clean:
	rm -rf $(VENV) db.sqlite3
