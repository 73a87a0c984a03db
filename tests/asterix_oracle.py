"""The independent ASTERIX decoder (`asterix-decoder`, C++ with its own XML definitions)
as a test oracle, in a virtual environment of its own: it installs a top-level module
named `asterix`, as `libasterix` does, so the two cannot share one environment.

`make test` (and `make oracle`) creates `.venv-oracle`; a test run without it creates it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

ORACLE = "asterix-decoder==0.7.11"
ROOT = Path(__file__).resolve().parent.parent
ENV = Path(os.environ.get("WARNLINE_ASTERIX_ORACLE", ROOT / ".venv-oracle"))
PYTHON = ENV / "bin" / "python"

# Runs inside the oracle's environment: hex datagrams on stdin, one JSON list per line out.
SCRIPT = """
import json, sys
import asterix
for line in sys.stdin:
    print(json.dumps(asterix.parse(bytes.fromhex(line.strip())), default=str), flush=True)
"""


def ensure() -> Path:
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(ENV)
    probe = subprocess.run([PYTHON, "-c", "import asterix.version"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", ORACLE], check=True, timeout=600)
    return PYTHON


def decode(datagrams: list[bytes]) -> list[list[dict[str, Any]]]:
    """Each datagram as the oracle decodes it: a list of records, each a dict of items."""
    python = ensure()
    done = subprocess.run(
        [python, "-c", SCRIPT],
        input="".join(d.hex() + "\n" for d in datagrams),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


if __name__ == "__main__":  # `python tests/asterix_oracle.py`: set it up (the Makefile)
    print(ensure(), file=sys.stderr)
