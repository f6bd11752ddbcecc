"""Shared fixtures."""

from __future__ import annotations

import polars as pl
import pytest
from population import small_population


@pytest.fixture(scope="session")
def population() -> tuple[pl.DataFrame, pl.DataFrame]:
    return small_population()
