"""Numbers in the reader's language: separators, decimal comma, true minus, units."""

from __future__ import annotations

import math

from simulation.present import formatting


def test_numbers_follow_the_language():
    assert formatting.fmt_number(-1234.5, "sv", 1) == "−1\u00a0234,5"
    assert formatting.fmt_number(-1234.5, "en", 1) == "−1,234.5"
    assert formatting.fmt_percent(0.125, "sv") == "12\u00a0%"
    assert formatting.fmt_percent(0.125, "en") == "12%"
    assert formatting.money_scale([2.5e6], "sv").unit == "mkr"
    assert formatting.money_scale([2.5e5], "en").unit == "kSEK"
    assert not math.isnan(formatting.money_scale([], "sv").divisor)


def test_report_money_in_millions_with_one_unit():
    assert formatting.msek(2_345_678, "sv") == "2,3\u00a0mkr"
    assert formatting.msek(234_567, "en") == "0.23\u00a0MSEK"
    assert formatting.msek_number(1_000, "en") == "0"
    assert formatting.money_band(1e6, 2e6, 3e6, "en") == "2.0 [1.0 … 3.0]\u00a0MSEK"
    assert formatting.money_band(2e6, 2e6, 2e6, "sv") == "2,0\u00a0mkr"
    assert formatting.year_text(float("nan"), "sv") == "aldrig"
    assert formatting.year_text(2031.0, "en") == "2031"


def test_levels_show_the_digits_they_need():
    assert formatting.fmt_level(25, "sv") == "25"
    assert formatting.fmt_level("0.25", "en") == "0.25"
    assert formatting.fmt_level(0.035, "sv") == "0,035"
    assert formatting.fmt_level("pub", "en") == "pub"
