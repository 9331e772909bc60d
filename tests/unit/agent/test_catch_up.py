from ikzops.agent.catch_up import missing_runs


def test_a_site_that_missed_runs_lacks_exactly_those():
    runs = {"city": {"r1": "a", "r2": "b", "r3": "c"}, "district": {"r1": "x", "r3": "z"}}
    assert missing_runs(runs, window=10) == {"city": [], "district": ["r2"]}


def test_runs_older_than_the_window_are_not_copied():
    runs = {"city": {f"r{i}": str(i) for i in range(1, 6)}, "district": {"r5": "e"}}
    assert missing_runs(runs, window=2) == {"city": [], "district": ["r4"]}
