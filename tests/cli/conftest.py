"""Fixtures for the scraper tests."""

from tests.local_site import site  # noqa: F401  (a real HTTP server on 127.0.0.1)
