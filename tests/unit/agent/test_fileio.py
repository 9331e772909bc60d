import hashlib
import os
import stat

from ikzops.agent.fileio import sha256_file, write_atomic


def test_secret_is_written_with_mode_0600_even_over_an_old_temporary_file(tmp_path):
    target = tmp_path / "secret"
    (tmp_path / ".secret.tmp").write_text("leftover")
    os.chmod(tmp_path / ".secret.tmp", 0o644)
    write_atomic(str(target), "s3cret", mode=0o600)
    assert target.read_text() == "s3cret"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not (tmp_path / ".secret.tmp").exists()


def test_replacing_a_file_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "report.json"
    write_atomic(str(target), "old")
    write_atomic(str(target), b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_sha256_of_a_file_larger_than_one_block(tmp_path):
    data = os.urandom((1 << 20) + 17)
    (tmp_path / "f").write_bytes(data)
    assert sha256_file(str(tmp_path / "f")) == hashlib.sha256(data).hexdigest()
