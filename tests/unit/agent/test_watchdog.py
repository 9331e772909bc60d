import os
import sys

from ikzops.agent import watchdog

RETRYING = ("import sys, time\n"
            "for _ in range(100):\n"
            "    print('Save(<data/ab>) returned error, retrying after 1s: unexpected HTTP response (507): "
            "507 Insufficient Storage', file=sys.stderr, flush=True)\n"
            "    time.sleep(0.2)\n")


def test_endless_retries_are_given_up_after_the_limit_with_the_cause(monkeypatch):
    monkeypatch.setattr(watchdog, "GRACE", 2)
    done = watchdog.run_watched([sys.executable, "-c", RETRYING], dict(os.environ), probe=lambda: None,
                                give_up_after=1, timeout=60)
    assert "disk full" in done.abandoned and done.returncode != 0


def test_unreachable_destination_is_given_up_after_the_limit(monkeypatch):
    monkeypatch.setattr(watchdog, "PROBE_INTERVAL", 0.2)

    def probe():
        raise RuntimeError("cannot reach 10.0.0.1:8000 (timed out): the site is down or cut off")

    done = watchdog.run_watched([sys.executable, "-c", "import time; time.sleep(30)"], dict(os.environ),
                                probe=probe, give_up_after=1, timeout=60)
    assert "lost the destination" in done.abandoned and "cut off" in done.abandoned


def test_a_run_that_ends_by_itself_is_not_abandoned():
    done = watchdog.run_watched([sys.executable, "-c", "print('done')"], dict(os.environ), probe=lambda: None,
                                give_up_after=1, timeout=60)
    assert done.abandoned == "" and done.returncode == 0 and done.stdout == "done\n"
