import os
import shutil
from concurrent.futures import ThreadPoolExecutor

from ikzops.agent.fileio import sha256_file
from ikzops.agent.manifest import parse_line, write_manifest
from ikzops.agent.restore_tree import HASHES, Fetch, verify


def _tree(tmp_path):
    data = tmp_path / "srv" / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.txt").write_text("alpha")
    (data / "sub" / "b.bin").write_bytes(b"\x00" * 3000)
    os.chmod(data / "a.txt", 0o640)
    return data


def test_manifest_lists_every_regular_file_with_sha256_size_and_mode(tmp_path):
    data = _tree(tmp_path)
    manifest = tmp_path / "state" / "job.tsv"
    assert write_manifest([str(data)], str(manifest)) == 2
    lines = [parse_line(line) for line in manifest.read_text().splitlines()]
    assert lines[0] == (sha256_file(str(data / "a.txt")), 5, "0640", str(data / "a.txt"))
    assert lines[1][1:] == (3000, "0644", str(data / "sub" / "b.bin"))


def test_manifest_reuses_the_hash_of_a_file_whose_size_mtime_and_inode_are_unchanged(tmp_path):
    data = _tree(tmp_path)
    manifest = tmp_path / "job.tsv"
    write_manifest([str(data)], str(manifest))
    first = manifest.read_text()
    stat = os.stat(data / "a.txt")
    (data / "a.txt").write_text("ALPHA")  # same size; mtime put back: the cache is trusted
    os.utime(data / "a.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    write_manifest([str(data)], str(manifest))
    assert manifest.read_text() == first


def _restore(tmp_path, data):
    """A copy of ``data`` below a restore root, at its original absolute path (as restic restores)."""

    root = tmp_path / "restore"
    shutil.copytree(data, root / str(data).lstrip("/"))
    return root


def check(root: str, manifest: str) -> dict:
    """What a drill finds: the restored tree hashed as the drill hashes it, against the
    manifest restored with it."""

    with ThreadPoolExecutor(2) as pool, open(os.path.join(root, HASHES), "w") as hashes:
        Fetch(root, {}, pool, skip="").finish(hashes)
    return verify([root], os.path.join(root, manifest.lstrip("/")), ["/"])


def test_restored_tree_matching_the_manifest_has_no_mismatch(tmp_path):
    data = _tree(tmp_path)
    manifest = data / "manifest.tsv"
    write_manifest([str(data)], str(manifest))
    result = check(str(_restore(tmp_path, data)), str(manifest))
    assert (result["files"], result["bytes"], result["mismatched"]) == (2, 3005, 0)


def test_changed_and_missing_files_are_each_named(tmp_path):
    data = _tree(tmp_path)
    manifest = data / "manifest.tsv"
    write_manifest([str(data)], str(manifest))
    copy = _restore(tmp_path, data) / str(data).lstrip("/")
    (copy / "a.txt").write_text("alphA")
    os.unlink(copy / "sub" / "b.bin")
    os.chmod(copy / "manifest.tsv", 0o600)  # the manifest does not list itself
    result = check(str(tmp_path / "restore"), str(manifest))
    problems = {m["path"].rsplit("/", 1)[-1]: m["problem"] for m in result["mismatches"]}
    assert problems == {"a.txt": "sha256 differs", "b.bin": "missing"}


def test_a_file_that_vanishes_before_it_is_hashed_is_left_out_of_the_manifest(tmp_path, monkeypatch):
    from ikzops.agent import manifest as module

    data = _tree(tmp_path)
    real = module.sha256_file

    def vanishing(path: str) -> str:
        if path.endswith("a.txt"):
            os.unlink(path)
        return real(path)

    monkeypatch.setattr(module, "sha256_file", vanishing)
    target = tmp_path / "job.tsv"
    assert write_manifest([str(data)], str(target)) == 1
    assert [parse_line(line)[3] for line in target.read_text().splitlines()] == [str(data / "sub" / "b.bin")]
