"""Numbers in lint messages read as the user wrote them: never rounded to six digits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cpol.lint.model import number


def test_large_and_fractional_numbers_are_written_whole() -> None:
    assert number(87_660_000.0) == "87660000"  # `:g` wrote "8.766e+07"
    assert number(1_234_567) == "1234567"
    assert number(2.5) == "2.5"
    assert number(0.1 * 24) == "2.4"  # a window in hours computed from days: no float noise


@given(st.integers(0, 2**53 - 1))
def test_every_whole_count_reads_back_exactly(value: int) -> None:
    assert int(number(value)) == value
    assert int(number(float(value))) == value
