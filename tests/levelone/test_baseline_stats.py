"""The ground floor's robust statistics (levelone/baseline.py): the one weighted quantile and the
one MAD-to-SD constant every module uses (issue 20, homes)."""
from __future__ import annotations

import numpy as np
import pytest

from levelone.baseline import MAD_TO_SD, weighted_quantile


def test_weighted_quantile_balances_speakers():
    # speaker a: 90 frames at 0; speaker b: 10 frames at 1. Each speaker weighs the same in total.
    values = np.r_[np.zeros(90), np.ones(10)]
    weights = np.r_[np.full(90, 1 / 90), np.full(10, 1 / 10)]
    assert weighted_quantile(values, weights, 0.40) == 0.0
    assert weighted_quantile(values, weights, 0.60) == 1.0  # unweighted, the 0.6 quantile would be 0
    assert weighted_quantile(values, np.ones(100), 0.60) == 0.0
    assert weighted_quantile(np.array([3.0, 1.0, 2.0]), np.ones(3), 1.0) == 3.0  # the top stays in range


def test_mad_to_sd_makes_the_mad_of_a_normal_its_sd():
    x = np.random.default_rng(0).normal(0, 2.0, 200_000)
    assert MAD_TO_SD * np.median(np.abs(x - np.median(x))) == pytest.approx(2.0, rel=0.01)
