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


def test_store_extends_a_copy_and_keeps_a_differing_one(tmp_path):
    _, lines = _stream(tmp_path)
    text = "".join(line + "\n" for line in lines)
    copies = str(tmp_path / "copies")
    assert history.store(copies, {"backup-a": text[: text.index("\n") + 1]}) == []
    assert history.store(copies, {"backup-a": text}) == []
    assert history.read(f"{copies}/backup-a.jsonl") == lines
    tampered = text.replace('"r0"', '"rX"')
    assert history.store(copies, {"backup-a": tampered}) == ["backup-a"]
    assert history.read(f"{copies}/backup-a.jsonl") == lines


def test_store_refuses_a_stream_name_with_a_path(tmp_path):
    assert history.store(str(tmp_path), {"../evil": "x\n"}) == ["../evil"]
    assert not (tmp_path.parent / "evil.jsonl").exists()
