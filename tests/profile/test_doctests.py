"""The examples in the profile modules' docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["tally", "late", "prefetch", "stats"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"ecomstream.profile.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
