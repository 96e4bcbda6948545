"""Fixtures shared by the tests of the registry package."""

from tests.registry.registration.conftest import ctx

__all__ = ["ctx"]
