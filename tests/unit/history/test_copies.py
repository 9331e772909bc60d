from ikzops.agent import history
from ikzops.history.copies import CONTROL, merge, stream_of_origin


def _lines(tmp_path, n):
    path = str(tmp_path / "s.jsonl")
    for i in range(n):
        history.append(path, {"kind": "backup", "run": f"run-{i}", "started": f"2026-11-0{i + 1}"})
    return history.read(path)


def test_new_records_of_the_origin_extend_the_control_copy(tmp_path):
    lines = _lines(tmp_path, 3)
    merged = merge("backup-a", lines[:1], ("city-app", lines), {}, {})
    assert merged.lines == lines and merged.new == 2 and merged.findings == []


def test_a_lagging_repository_copy_is_no_finding(tmp_path):
    lines = _lines(tmp_path, 3)
    merged = merge("backup-a", lines, None, {"city-san": lines[:2]}, {"city-san": 2})
    assert merged.findings == []


def test_a_copy_edited_on_a_repository_host_is_named_with_its_record(tmp_path):
    lines = _lines(tmp_path, 3)
    edited = [lines[0], lines[1].replace("run-1", "run-X"), lines[2]]
    merged = merge("backup-a", lines, None, {"district-san": edited}, {})
    texts = [f.text() for f in merged.findings]
    assert any(f.where == "district-san" and f.line == 3 for f in merged.findings), texts
    assert any(f.where == "district-san" and f.line == 2 and "run-X" in f.problem for f in merged.findings), texts
    assert merged.lines == lines


def test_an_edited_last_record_is_found_by_comparing_copies(tmp_path):
    lines = _lines(tmp_path, 3)
    edited = [*lines[:2], lines[2].replace("run-2", "run-X")]
    merged = merge("backup-a", lines, None, {"city-san": edited}, {})
    assert [(f.where, f.line) for f in merged.findings] == [("city-san", 3)]
    assert "run-X" in merged.findings[0].problem


def test_records_removed_from_a_repository_copy_are_found(tmp_path):
    lines = _lines(tmp_path, 3)
    merged = merge("backup-a", lines, None, {"city-san": lines[:1]}, {"city-san": 3})
    assert [(f.where, f.line) for f in merged.findings] == [("city-san", 2)]


def test_records_removed_on_the_client_are_found(tmp_path):
    lines = _lines(tmp_path, 3)
    merged = merge("backup-a", lines, ("city-app", lines[:2]), {}, {})
    assert [(f.where, f.line) for f in merged.findings] == [("city-app", 3)]


def test_a_rebuilt_control_host_takes_the_copies_back(tmp_path):
    lines = _lines(tmp_path, 3)
    merged = merge("verify", [], None, {"city-san": lines}, {})
    assert merged.lines == lines and merged.findings == []


def test_records_lost_on_the_control_host_are_a_finding(tmp_path):
    lines = _lines(tmp_path, 3)
    merged = merge("verify", lines[:1], None, {"city-san": lines}, {})
    assert [(f.where, f.line) for f in merged.findings] == [(CONTROL, 2)]


def test_a_client_stream_is_named_by_its_chain(tmp_path):
    lines = _lines(tmp_path, 1)
    assert stream_of_origin("backup-a", lines).startswith("backup-a-")
    assert stream_of_origin("backup-a", ["garbage"]) is None


def test_a_copy_holding_json_that_is_no_record_is_named_not_a_crash(tmp_path):
    lines = _lines(tmp_path, 2)
    merged = merge("backup-a", lines, None, {"city-san": [lines[0], "42"]}, {})
    assert ("city-san", 2) in [(f.where, f.line) for f in merged.findings]
