# Two entry points on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,server,batch,spark,lsp]'
	touch $(STAMP)

DEMO_OUT := build/demo

# The main job on the bundled examples: check, lint and compile the .cpol files, decompile
# the compiled JSON back to .cpol (and compile it again: the round trip is lossless), then
# explain the decisions for a sample customer; then a campaign: 2,000 customers decided at
# once (`cpol batch`) and a what-if (`cpol plan`); then the service: start it, push the
# examples, record responses, decide, read the customer's suppressions, stop it.
demo: $(STAMP)
	@mkdir -p $(DEMO_OUT)
	$(BIN)/cpol check examples/all_rule_types.cpol
	$(BIN)/cpol lint examples/
	$(BIN)/cpol compile examples/all_rule_types.cpol -o $(DEMO_OUT)/all_rule_types.json
	$(BIN)/cpol decompile examples/all_rule_types.json -o $(DEMO_OUT)/all_rule_types.cpol
	$(BIN)/cpol compile $(DEMO_OUT)/all_rule_types.cpol -o $(DEMO_OUT)/round_trip.json
	$(BIN)/python -c "import json, sys; a = json.load(open('$(DEMO_OUT)/round_trip.json')); \
	b = json.load(open('examples/all_rule_types.json')); \
	sys.exit(0 if a == b else 'all_rule_types round trip differs')"
	@echo "round trip: examples/all_rule_types.json -> $(DEMO_OUT)/all_rule_types.cpol -> $(DEMO_OUT)/round_trip.json is identical"
	$(BIN)/cpol explain examples/all_rule_types.cpol --context examples/demo-request.json --format text
	$(BIN)/cpol explain examples/all_rule_types.cpol --context examples/demo-request.json --format html -o $(DEMO_OUT)/report.html
	@echo "HTML report: $(DEMO_OUT)/report.html"
	$(BIN)/python examples/batch_demo.py $(DEMO_OUT)
	$(BIN)/python examples/service_demo.py $(DEMO_OUT)

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples fuzz
	$(BIN)/ruff format --check src tests benchmarks examples fuzz
	$(BIN)/mypy
	$(BIN)/pytest -n auto --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/compile.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
