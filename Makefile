# The two commands a newcomer needs:  `make demo`  and  `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo run test check lint system-deps bench clean

# make check and make test enforce every import contract of pyproject.toml
# ([tool.importlinter]): the layers, pure readers, textual only in tui/, the TUI talks
# only to services, no circles.
LINT_IMPORTS = $(BIN)/lint-imports --no-logo

# The install also builds the static embedding table (~40 s of CPU, once per machine, in
# the user cache dir), so that a first import or suggestion never waits for it.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test,semantic]'
	$(BIN)/python -m inbox_tui.services.static_embeddings
	touch $(STAMP)

## Run the TUI on a demo inbox (embedded SQLite, no config needed).
demo: $(STAMP)
	$(BIN)/inbox-tui demo

## Run the TUI on the configured store.
run: $(STAMP)
	$(BIN)/inbox-tui

## System packages the test suite starts for real: Dovecot, PostgreSQL, notmuch, mbsync, tmux.
system-deps:
	./.ci/system-deps

## Lint, type-check, check the import layers and run the whole test suite (starts real IMAP/SMTP/PostgreSQL on 127.0.0.1).
test: system-deps $(STAMP)
	$(BIN)/ruff check inbox_tui tests benchmarks
	$(BIN)/mypy
	$(LINT_IMPORTS)
	$(BIN)/pytest -n auto --dist loadfile

check: $(STAMP)
	$(BIN)/ruff check inbox_tui tests benchmarks
	$(BIN)/ruff format --check inbox_tui tests benchmarks
	$(BIN)/mypy
	$(LINT_IMPORTS)

bench: system-deps $(STAMP)
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
