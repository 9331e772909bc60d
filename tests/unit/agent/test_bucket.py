import json

from ikzops.agent import bucket
from tests.unit.agent.fake_s3 import FakeS3

NOW = 1_800_000_000.0


def gateway(monkeypatch, objects: dict[str, bytes], refuse: str | None = None) -> None:
    monkeypatch.setattr(bucket, "open_bucket", lambda *args, **kwargs: (FakeS3(objects, refuse, NOW), "lab-job"))


def test_arrivals_are_the_times_the_gateway_stored_each_snapshot_and_nothing_else(monkeypatch):
    gateway(monkeypatch, {"snapshots/" + "a" * 64: b"s", "data/00/" + "0" * 64: b"p", "config": b"c"})
    found = bucket.arrivals("s3:https://gw:7480/lab-job", None, "key", "secret")
    assert {key: when.timestamp() for key, when in found.items()} == {"a" * 64: NOW}


def test_the_arrivals_command_prints_them_as_json(monkeypatch, capsys):
    gateway(monkeypatch, {"snapshots/" + "b" * 64: b"s"})
    assert bucket.main(["arrivals", "s3:https://gw:7480/lab-job", "", "key", "secret"]) == 0
    assert json.loads(capsys.readouterr().out) == {"arrived": {"b" * 64: "2027-01-15T08:00:00+00:00"}}


def test_a_gateway_that_refuses_the_listing_is_an_error_line_and_exit_2_not_a_traceback(monkeypatch, capsys):
    gateway(monkeypatch, {}, refuse="AccessDenied")
    assert bucket.main(["arrivals", "s3:https://gw:7480/lab-job", "", "key", "secret"]) == 2
    assert json.loads(capsys.readouterr().out) == {"error": "the gateway would not list the snapshots: AccessDenied no"}


def test_the_arrivals_command_with_missing_arguments_says_how_to_call_it(capsys):
    assert bucket.main(["arrivals"]) == 2
    assert "usage: python3 -m ikzops_agent.bucket arrivals" in capsys.readouterr().out
