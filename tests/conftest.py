"""Shared fixtures (builders live in tests/factories.py)."""

from __future__ import annotations

import pytest

from warnline.agreement.load import default_agreement
from warnline.agreement.model import Agreement


@pytest.fixture(scope="session")
def agreement() -> Agreement:
    return default_agreement()
