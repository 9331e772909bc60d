import json

from ikzops.agent import history


def _stream(tmp_path, n=3):
    path = str(tmp_path / "s.jsonl")
    for i in range(n):
        history.append(path, {"kind": "backup", "run": f"r{i}"})
    return path, history.read(path)


def test_appended_records_form_an_intact_chain(tmp_path):
    path, lines = _stream(tmp_path)
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [0, 1, 2]
    assert records[0]["prev"] == history.GENESIS
    assert records[2]["prev"] == history.digest(lines[1])
    assert len({r["chain"] for r in records}) == 1
    assert history.check(lines) == []


def test_an_altered_record_breaks_the_link_after_it(tmp_path):
    _, lines = _stream(tmp_path)
    lines[1] = lines[1].replace('"r1"', '"r9"')
    assert [b.line for b in history.check(lines)] == [3]


def test_a_removed_record_is_found(tmp_path):
    _, lines = _stream(tmp_path)
    breaks = history.check([lines[0], lines[2]])
    assert {b.line for b in breaks} == {2}
    assert any("removed" in b.problem for b in breaks)


def test_a_stream_that_does_not_start_at_genesis_is_broken(tmp_path):
    _, lines = _stream(tmp_path)
    assert history.check(lines[1:])[0].problem == "is not the start of a chain"


def test_store_appends_after_the_lines_a_copy_holds_and_keeps_a_differing_one(tmp_path):
    _, lines = _stream(tmp_path)
    copies = str(tmp_path / "copies")
    assert history.store(copies, {"backup-a": {"from": 0, "after": "", "lines": lines[:1]}}) == []
    assert history.store(copies, {"backup-a": {"from": 1, "after": history.digest(lines[0]), "lines": lines[1:]}}) == []
    assert history.read(f"{copies}/backup-a.jsonl") == lines
    # a copy that is not what the sender believes is left alone
    assert history.store(copies, {"backup-a": {"from": 1, "after": history.digest(lines[0]), "lines": ["x"]}}) == [
        "backup-a"]
    assert history.read(f"{copies}/backup-a.jsonl") == lines


def test_dump_sends_only_the_lines_after_those_the_reader_holds(tmp_path):
    _, lines = _stream(tmp_path)
    parts = history.dump(str(tmp_path), {"s": [2, history.digest(lines[1])]})
    assert parts["s"] == {"from": 2, "lines": lines[2:], "total": 3}


def test_dump_sends_a_stream_whole_when_the_reader_holds_something_else(tmp_path):
    path, lines = _stream(tmp_path)
    assert history.dump(str(tmp_path), {"s": [2, "0" * 64]})["s"]["from"] == 0
    # an earlier record altered: the last digest still matches, but the chain is broken
    altered = [lines[0].replace('"r0"', '"rX"'), *lines[1:]]
    with open(path, "w") as handle:
        handle.write("".join(line + "\n" for line in altered))
    assert history.dump(str(tmp_path), {"s": [3, history.digest(lines[2])]})["s"] == {
        "from": 0, "lines": altered, "total": 3}


def test_store_refuses_a_stream_name_with_a_path(tmp_path):
    assert history.store(str(tmp_path), {"../evil": {"from": 0, "lines": ["x"]}}) == ["../evil"]
    assert not (tmp_path.parent / "evil.jsonl").exists()


def test_checking_from_a_record_on_finds_what_checking_everything_finds_after_it(tmp_path):
    _, lines = _stream(tmp_path, n=5)
    damaged = [lines[0], "garbage", lines[2], lines[3].replace('"r3"', '"rX"'), lines[4]]
    whole = history.check(damaged)
    for start in range(len(damaged) + 1):
        assert history.check(damaged, start) == [b for b in whole if b.line > start]
