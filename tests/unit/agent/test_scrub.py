import hashlib
import json
import os

from ikzops.agent.scrub import scrub, select
from tests.unit.agent.fake_s3 import FakeS3

NOW = 1_800_000_000.0


def pack(repo, content: bytes) -> str:
    name = hashlib.sha256(content).hexdigest()
    folder = repo / "data" / name[:2]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    return name


def repository(tmp_path, count: int = 4):
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    names = [pack(repo, bytes([i]) * 1000) for i in range(count)]
    return repo, names


def test_first_run_hashes_every_pack_as_new_and_finds_them_intact(tmp_path):
    repo, names = repository(tmp_path)
    result = scrub(str(repo), str(tmp_path / "state.json"), budget=1, now=NOW)
    assert result["hashed"] == {"packs": 4, "bytes": 4000, "new": 4}
    assert result["damaged"] == [] and result["proven_7d_bytes"] == 4000 and result["last_complete_pass"]


def test_a_new_pack_is_hashed_on_the_next_run_whatever_the_budget(tmp_path):
    repo, _ = repository(tmp_path)
    state = str(tmp_path / "state.json")
    scrub(str(repo), state, budget=1, now=NOW)
    pack(repo, b"new" * 500)
    result = scrub(str(repo), state, budget=1, now=NOW + 60)
    assert result["hashed"]["new"] == 1 and result["hashed"]["packs"] == 2  # the new one, one old one


def test_flipped_bytes_in_an_old_pack_are_found_when_it_fits_the_budget(tmp_path):
    repo, names = repository(tmp_path)
    state = str(tmp_path / "state.json")
    scrub(str(repo), state, budget=10_000, now=NOW)
    path = repo / "data" / names[2][:2] / names[2]
    data = bytearray(path.read_bytes())
    data[500] ^= 0xFF
    path.write_bytes(bytes(data))
    result = scrub(str(repo), state, budget=10_000, now=NOW + 60)
    assert [d["pack"] for d in result["damaged"]] == [names[2]]
    assert "differs from its name" in result["damaged"][0]["problem"]
    assert names[2] not in json.loads((tmp_path / "state.json").read_text())["proven"]  # named again next run


def test_older_packs_rotate_longest_unproven_first_within_the_budget():
    current = {name: (100, 0.0) for name in "abcd"}
    proven = {"a": 4.0, "b": 1.0, "c": 3.0, "d": 2.0}
    assert select(current, proven, budget=250) == ([], ["b", "d"])
    assert select(current, proven, budget=1) == ([], ["b"])  # at least one, however small the budget


def test_state_forgets_pruned_packs_and_is_private(tmp_path):
    repo, names = repository(tmp_path)
    state = tmp_path / "state.json"
    scrub(str(repo), str(state), budget=1, now=NOW)
    os.unlink(repo / "data" / names[0][:2] / names[0])
    result = scrub(str(repo), str(state), budget=10_000, now=NOW + 1)
    assert result["packs"] == 3 and names[0] not in json.loads(state.read_text())["proven"]
    assert state.stat().st_mode & 0o777 == 0o600


def bucket(objects: dict[str, bytes], refuse: str | None = None):
    from ikzops.agent.scrub import Bucket

    store = Bucket.__new__(Bucket)
    store.client, store.name = FakeS3(objects, refuse), "lab-job"
    return store


def test_a_bucket_pack_the_gateway_serves_changed_is_named_damaged(tmp_path):
    good, bad = b"a" * 5000, b"b" * 5000
    names = [hashlib.sha256(content).hexdigest() for content in (good, bad)]
    objects = {f"data/{names[0][:2]}/{names[0]}": good, f"data/{names[1][:2]}/{names[1]}": b"rotten" + bad[6:],
               "locks/x": b"lock", "config": b"c"}
    result = scrub(bucket(objects), str(tmp_path / "state.json"), budget=1, now=NOW)
    assert result["packs"] == 2 and [d["pack"] for d in result["damaged"]] == [names[1]]


def test_a_gateway_refusing_the_listing_is_an_error_with_its_code_not_a_traceback(tmp_path):
    import pytest

    with pytest.raises(OSError, match="the gateway would not list the packs: AccessDenied"):
        scrub(bucket({}, refuse="AccessDenied"), str(tmp_path / "state.json"), budget=1, now=NOW)


def test_a_pack_the_gateway_will_not_serve_is_unreadable_and_named(tmp_path):
    name = hashlib.sha256(b"x").hexdigest()
    store = bucket({f"data/{name[:2]}/{name}": b"x"})
    store.client.get_object = lambda **kwargs: FakeS3({}, refuse="NoSuchKey")._answer("GetObject")
    result = scrub(store, str(tmp_path / "state.json"), budget=1, now=NOW)
    assert result["damaged"][0]["problem"].startswith("unreadable: the gateway would not read it: NoSuchKey")
