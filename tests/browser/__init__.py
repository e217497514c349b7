"""Browser checks. A package, so its conftest.py imports as browser.conftest (see there)."""
