"""Fixtures for the lab tests: each module names its lab in `LAB`; `lab` runs it from scratch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# Plain asserts in the helper module get pytest's detailed diffs, as in test modules.
pytest.register_assert_rewrite("labkit")
from labkit import Lab, scratch_dir  # noqa: E402


@pytest.fixture
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    with scratch_dir() as scratch:
        yield Lab(request.module.LAB, scratch)
