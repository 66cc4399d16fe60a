"""The views' whole-number parsing: a bad value becomes the default, never an error page."""

from __future__ import annotations

import pytest

from ekkyo.web.params import whole, whole_or_none


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), (" 7 ", 7), ("-3", -3), (5, 5), ("", None), (None, None), ("1.5", None),
     ("１２", 12), ("12abc", None), ("0x10", None)],
)  # fmt: skip
def test_whole_or_none(raw: object, expected: int | None) -> None:
    assert whole_or_none(raw) == expected


def test_whole_falls_back_to_the_default() -> None:
    assert whole("abc") == 0
    assert whole(None, 9) == 9
    assert whole("4", 9) == 4
