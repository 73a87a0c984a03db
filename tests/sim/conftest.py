"""The live node of the API tests, for the exercise's checks that talk HTTP to one."""

from tests.api.conftest import live  # noqa: F401
