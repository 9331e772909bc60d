"""Every benchmark runs in the test command (smoke mode: tiny data, one repetition, no goal),
so that none can rot unseen; the real runs stay ``python -m bench``. Runs last in the session
(tests/lab_fixtures.py): the benchmarks add jobs of their own to the lab."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench import __main__ as all_benchmarks
from bench.common import results_dir

BENCH = Path(all_benchmarks.__file__).parent
NOT_BENCHMARKS = {"__init__", "__main__", "common"}


def test_every_benchmark_module_is_run_by_python_m_bench():
    modules = {f.stem for f in BENCH.glob("*.py")} - NOT_BENCHMARKS
    assert modules == set(all_benchmarks.BENCHMARKS)


@pytest.mark.bench_smoke
def test_every_benchmark_runs_in_smoke_mode(deployed_lab):
    started = datetime.now(UTC) - timedelta(seconds=1)
    all_benchmarks.main(["--smoke"])
    folder = results_dir(smoke=True)
    for name in all_benchmarks.BENCHMARKS:
        result = json.loads((folder / f"{name}.json").read_text())
        assert result["smoke"] is True
        assert datetime.fromisoformat(result["when"]) >= started.replace(microsecond=0), name
        timings = [t for k, v in result.items() if k.endswith("_s")
                   for t in (v if isinstance(v, list) else [v]) if isinstance(t, (int, float))]
        assert timings and all(v > 0 for v in timings), (name, result)
    assert "not met" not in (folder / "SUMMARY.md").read_text()  # smoke checks no goal


def test_smoke_results_stay_out_of_the_committed_results():
    assert results_dir(smoke=True) != results_dir(smoke=False)
    assert not results_dir(smoke=True).is_relative_to(BENCH)
