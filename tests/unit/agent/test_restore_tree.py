import io
import json
import os
import tarfile

import pytest

from ikzops.agent import restore_tree
from ikzops.agent.fileio import sha256_file
from ikzops.agent.manifest import write_manifest


def tar_of(files: dict[str, bytes], mode: int = 0o640, extra=()) -> io.BytesIO:
    """A tar stream as ``restic dump --archive tar`` writes it (names without a leading slash)."""

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name.lstrip("/"))
            info.size, info.mode, info.mtime = len(data), mode, 1_700_000_000
            info.uname, info.gname = "root", "root"
            archive.addfile(info, io.BytesIO(data))
        for info in extra:
            archive.addfile(info)
    buffer.seek(0)
    return buffer


@pytest.fixture
def original(tmp_path):
    """Files as they were backed up, and the manifest written at backup time."""

    data = tmp_path / "orig" / "srv" / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.txt").write_bytes(b"alpha")
    (data / "sub" / "b.bin").write_bytes(os.urandom(3000))
    for f in (data / "a.txt", data / "sub" / "b.bin"):
        os.chmod(f, 0o640)
    manifest = tmp_path / "manifest.tsv"
    write_manifest([str(data)], str(manifest))
    files = {str(p): p.read_bytes() for p in (data / "a.txt", data / "sub" / "b.bin")}
    return data, manifest, files


def test_extracted_files_are_hashed_as_written_and_match_the_manifest(tmp_path, original):
    data, manifest, files = original
    staging = str(tmp_path / ".ikzops-restore-1")
    assert restore_tree.extract(staging, tar_of(files))["files"] == 2
    verdict = restore_tree.verify([staging], str(manifest), [str(data)])
    assert (verdict["files"], verdict["mismatched"]) == (2, 0)


def test_a_changed_byte_in_the_stream_is_named(tmp_path, original):
    data, manifest, files = original
    staging = str(tmp_path / ".ikzops-restore-1")
    broken = {**files, str(data / "a.txt"): b"alphA"}
    restore_tree.extract(staging, tar_of(broken))
    verdict = restore_tree.verify([staging], str(manifest), [str(data)])
    assert verdict["mismatches"] == [{"path": str(data / "a.txt"), "problem": "sha256 differs"}]


def test_only_the_included_paths_are_expected(tmp_path, original):
    data, manifest, files = original
    staging = str(tmp_path / ".ikzops-restore-1")
    one = str(data / "sub" / "b.bin")
    restore_tree.extract(staging, tar_of({one: files[one]}))
    verdict = restore_tree.verify([staging], str(manifest), [str(data / "sub")])
    assert (verdict["files"], verdict["mismatched"]) == (1, 0)


def test_a_member_escaping_the_staging_is_refused(tmp_path):
    staging = str(tmp_path / ".ikzops-restore-1")
    with pytest.raises(ValueError, match="outside the restore"):
        restore_tree.extract(staging, tar_of({"../../etc/evil": b"x"}))


def test_a_member_through_a_symlink_out_of_the_staging_is_refused(tmp_path):
    staging = str(tmp_path / ".ikzops-restore-1")
    link = tarfile.TarInfo("srv/escape")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc"
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w") as archive:
        archive.addfile(link)
        evil = tarfile.TarInfo("srv/escape/passwd")
        evil.size = 1
        archive.addfile(evil, io.BytesIO(b"x"))
    stream.seek(0)
    with pytest.raises(ValueError, match="outside the restore"):
        restore_tree.extract(staging, stream)


def test_apply_places_files_below_a_directory_with_their_mode(tmp_path, original):
    data, _, files = original
    staging = str(tmp_path / "target" / ".ikzops-restore-1")
    restore_tree.extract(staging, tar_of(files))
    code, outcome = restore_tree.apply([staging], str(tmp_path / "target"), overwrite=False)
    placed = tmp_path / "target" / str(data / "a.txt").lstrip("/")
    assert code == 0 and outcome["created"] == 2
    assert placed.read_bytes() == b"alpha" and oct(placed.stat().st_mode & 0o7777) == "0o640"


def test_an_existing_differing_file_blocks_everything_without_overwrite(tmp_path, original):
    data, _, files = original
    root = tmp_path / "target"
    existing = root / str(data / "a.txt").lstrip("/")
    existing.parent.mkdir(parents=True)
    existing.write_bytes(b"edited since")
    staging = str(root / ".ikzops-restore-1")
    restore_tree.extract(staging, tar_of(files))
    code, outcome = restore_tree.apply([staging], str(root), overwrite=False)
    assert code == 3 and outcome["conflicts"] == [str(existing)]
    assert existing.read_bytes() == b"edited since"
    assert not (root / str(data / "sub" / "b.bin").lstrip("/")).exists()  # nothing placed at all


def test_overwrite_replaces_and_a_rerun_finds_everything_identical(tmp_path, original):
    data, _, files = original
    root = tmp_path / "target"
    existing = root / str(data / "a.txt").lstrip("/")
    existing.parent.mkdir(parents=True)
    existing.write_bytes(b"edited since")
    staging = str(root / ".ikzops-restore-1")
    restore_tree.extract(staging, tar_of(files))
    code, outcome = restore_tree.apply([staging], str(root), overwrite=True)
    assert code == 0 and (outcome["created"], outcome["replaced"]) == (1, 1)
    assert existing.read_bytes() == b"alpha"
    again = str(root / ".ikzops-restore-2")
    restore_tree.extract(again, tar_of(files))
    assert restore_tree.apply([again], str(root), overwrite=False) == (0, {**outcome, "created": 0, "replaced": 0,
                                                                         "identical": 2, "replaced_files": [],
                                                                         "conflicts": [], "links": 0})


def test_dry_plan_tells_create_replace_and_identical_by_size_and_time(tmp_path):
    root = tmp_path / "target"
    (root / "srv").mkdir(parents=True)
    (root / "srv" / "same").write_bytes(b"12345")
    os.utime(root / "srv" / "same", (1_700_000_000, 1_700_000_000))
    (root / "srv" / "other").write_bytes(b"1")
    nodes = [{"type": "file", "path": "/srv/same", "size": 5, "mtime": "2023-11-14T22:13:20Z"},
             {"type": "file", "path": "/srv/other", "size": 5, "mtime": "2023-11-14T22:13:20Z"},
             {"type": "file", "path": "/srv/new", "size": 5, "mtime": "2023-11-14T22:13:20Z"},
             {"type": "dir", "path": "/srv", "mtime": "2023-11-14T22:13:20Z"}]
    plan = restore_tree.plan(str(root), nodes)
    assert (plan["create"], plan["replace"], plan["identical"]) == (1, 1, 1)


def test_a_single_file_is_staged_from_its_content_and_node(tmp_path):
    staging = str(tmp_path / ".ikzops-restore-1")
    node = {"path": "/srv/data/q3.xlsx", "mode": 0o600, "uid": 0, "gid": 0, "user": "root", "group": "root",
            "mtime": "2026-11-24T02:36:45.197797798Z"}
    restore_tree.stage_file(staging, node, io.BytesIO(b"sheet"))
    staged = tmp_path / ".ikzops-restore-1" / "srv" / "data" / "q3.xlsx"
    assert staged.read_bytes() == b"sheet" and oct(staged.stat().st_mode & 0o777) == "0o600"
    hashes = restore_tree.read_hashes([staging])
    assert hashes["/srv/data/q3.xlsx"][0] == sha256_file(str(staged))


def test_main_prints_json_and_cleans_its_staging_on_error(tmp_path, capsys, monkeypatch):
    staging = tmp_path / ".ikzops-restore-9"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(tar_of({"../x": b"1"})))
    assert restore_tree.main(["extract", str(staging)]) == 2
    assert "outside the restore" in json.loads(capsys.readouterr().out)["error"]
    assert not staging.exists()


def test_a_path_the_run_never_held_is_reported_absent(tmp_path, original):
    data, manifest, files = original
    staging = str(tmp_path / ".ikzops-restore-1")
    restore_tree.extract(staging, tar_of(files))
    verdict = restore_tree.verify([staging], str(manifest), [str(data), "/srv/never-backed-up"])
    assert verdict["absent"] == ["/srv/never-backed-up"] and verdict["mismatched"] == 0


def fetched_staging(tmp_path, files: dict[str, bytes]) -> str:
    """A staging directory as ``restic restore --target`` leaves it (no hashes yet)."""

    staging = tmp_path / ".ikzops-restore-1"
    for name, data in files.items():
        path = staging / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.chmod(path, 0o640)
    return str(staging)


def test_fetch_hashes_files_restic_never_reported_and_records_their_final_mode(tmp_path, original):
    from concurrent.futures import ThreadPoolExecutor

    data, manifest, files = original
    staging = fetched_staging(tmp_path, files)
    with ThreadPoolExecutor(2) as pool, open(os.path.join(staging, restore_tree.HASHES), "w") as hashes:
        run = restore_tree.Fetch(staging, {}, pool, skip="")
        run._queue(str(data / "a.txt"))  # reported by restic; b.bin was not
        run.finish(hashes)
    assert run.files == 2
    verdict = restore_tree.verify([staging], str(manifest), [str(data)])
    assert (verdict["files"], verdict["mismatched"]) == (2, 0)


def test_the_restored_manifest_leaves_the_tree_and_is_never_placed(tmp_path, original):
    data, manifest, files = original
    path = "/var/lib/ikzops/manifests/job.tsv"
    staging = fetched_staging(tmp_path, {**files, path: manifest.read_bytes()})
    restore_tree._move_manifest(staging, path)
    assert os.path.isfile(os.path.join(staging, restore_tree.MANIFEST))
    assert not os.path.exists(os.path.join(staging, "var"))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool, open(os.path.join(staging, restore_tree.HASHES), "w") as hashes:
        restore_tree.Fetch(staging, {}, pool, skip=path).finish(hashes)
    root = tmp_path / "root"
    code, outcome = restore_tree.apply([staging], str(root), overwrite=False)
    assert code == 0 and outcome["created"] == 2
    assert not any(name.startswith(".ikzops") for _, _, names in os.walk(root) for name in names)
