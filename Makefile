# The README's two commands: `make check` and `make test`. Both set up .venv on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# As an activated virtualenv: a program without a `virtualenv` option runs under the python3 on the
# PATH (as the Pulumi CLI runs it), which is then .venv's, with the reference stacks' SDKs.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: check test lint bench fuzz clean sdk-tokens pulumi-cli mermaid-cli node-examples

# The TypeScript/JavaScript examples' one node_modules (examples/package-lock.json): Node resolves it
# upward from each project. npm writes node_modules/.package-lock.json, so an unchanged lock is a no-op.
NODE_EXAMPLES := examples/node_modules/.package-lock.json

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,reference]'
	$(BIN)/python -m pip install --quiet --no-compile -e '.[cloud]'
	touch $(STAMP)

## check: run every policy pack over the reference stacks (the main job)
check: $(STAMP)
	$(BIN)/tierguard check reference_stacks

## node-examples: install the pinned @pulumi/* packages and typescript of the nodejs examples (npm ci)
node-examples: $(NODE_EXAMPLES)

$(NODE_EXAMPLES): examples/package.json examples/package-lock.json
	cd examples && npm ci --no-audit --no-fund --loglevel=error

## test: lint, then the whole test suite
test: $(STAMP) $(NODE_EXAMPLES)
	$(BIN)/ruff check tierguard tests policypacks reference_stacks examples benchmarks tools
	@# the estate diagram's render test skips, saying why, when the Mermaid CLI cannot be installed
	-tools/mermaid/install.sh
	$(BIN)/python -m pytest -n 2 -q

## sdk-tokens: regenerate tests/fixtures/sdk-tokens/ from the pinned AWS/Azure SDK wheels
sdk-tokens: $(STAMP)
	$(BIN)/python tools/sdk_tokens.py

## pulumi-cli: build the pinned Pulumi CLI for the e2e tests once (tools/pulumi; no-op when present)
pulumi-cli: $(STAMP)
	PYTHON=$(abspath $(BIN)/python) tools/pulumi/build.sh

## mermaid-cli: install the pinned Mermaid CLI (tools/mermaid) for the estate-diagram render test
mermaid-cli:
	tools/mermaid/install.sh

lint: $(STAMP)
	$(BIN)/ruff check .

## bench: the speed goals (issue 8); prints a table and writes benchmarks/results.json
bench: $(STAMP)
	$(BIN)/python -m benchmarks

## fuzz: 10,000 mutated Pulumi CLI files through every reader, check and plan; prints the counts
fuzz: $(STAMP)
	$(BIN)/python -m benchmarks.fuzz --cases 10000

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
