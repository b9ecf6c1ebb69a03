"""Benchmarks run only on demand: ``pytest tests/benchmarks -m benchmark`` (``make bench``).

A plain ``pytest`` (or ``pytest -n 2 --dist loadfile``) skips every test marked
``benchmark``; the equivalence test (not marked) runs in the default suite.
The benchmark records of the session are printed as ONE table at the end and
written to ``results/benchmarks/benchmark_<date>.md``.
"""

from __future__ import annotations

import pytest

from . import _bench


def _benchmarks_selected(config: pytest.Config) -> bool:
    expr = (config.getoption("markexpr", default="") or "").replace(" ", "")
    return "benchmark" in expr and "notbenchmark" not in expr


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _benchmarks_selected(config):
        return
    skip = pytest.mark.skip(reason="benchmark: run on demand with `-m benchmark` (make bench)")
    for item in items:
        if item.get_closest_marker("benchmark") is not None:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    if not _bench.RESULTS:
        return
    path = _bench.write_report(_bench.RESULTS)
    terminalreporter.write_sep("=", "sifsim benchmark table")
    terminalreporter.write_line(_bench.report(_bench.RESULTS))
    terminalreporter.write_line(f"(written to {path})")
