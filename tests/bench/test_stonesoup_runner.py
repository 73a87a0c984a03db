"""The bench's one-piece Stone Soup motion model says what Stone Soup's own says."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from stonesoup.models.transition.linear import (
    CombinedLinearGaussianTransitionModel,
    ConstantVelocity,
)

from warnline.bench.stonesoup_runner import ConstantVelocity3D


@pytest.mark.parametrize("dt", [0.37, 2.0, -1.25])
def test_same_matrices_as_the_combined_constant_velocity_model(dt):
    shipped = CombinedLinearGaussianTransitionModel([ConstantVelocity(50.0)] * 3)
    ours = ConstantVelocity3D(noise_diff_coeff=50.0)
    step = timedelta(seconds=dt)
    assert np.allclose(ours.matrix(step), shipped.matrix(time_interval=step))
    assert np.allclose(ours.covar(step), shipped.covar(time_interval=step))
    assert np.all(np.linalg.eigvalsh(np.asarray(ours.covar(step), float)) >= -1e-9)
