"""Fixtures of the browser tests; the driver itself is in labdriver.py (imported by name, not as conftest)."""

from labdriver import browser, lab, page, pytest_runtest_makereport

__all__ = ["browser", "lab", "page", "pytest_runtest_makereport"]
