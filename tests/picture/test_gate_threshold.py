"""The gate's chi-square threshold is computed without scipy.stats (a second of start-up)
and must equal what scipy.stats' chi2 gives, to the last bit."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from warnline.picture.hypothesiser import gate_threshold


def test_gate_threshold_equals_scipy_stats_chi2() -> None:
    for gate in np.linspace(0.1, 10.0, 500):
        g = float(gate)
        assert gate_threshold(g) == float(chi2.ppf(chi2.cdf(g * g, 2), 3))


def test_the_picture_does_not_import_scipy_stats() -> None:
    import subprocess
    import sys

    code = "import sys, warnline.node; print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
