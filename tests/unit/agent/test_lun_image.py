"""Taking a LUN's image: a sparse copy hashed while copied; tgt's target found by its IQN."""

from __future__ import annotations

import hashlib
import os

from ikzops.agent import lun_image

SHOW = """Target 1: iqn.2026-11.org.ikzops:lab.city.city-san
    System information:
        State: ready
Target 12: iqn.2026-11.org.ikzops:lab.district.city-san
    System information:
"""


def test_the_target_id_is_found_by_its_whole_iqn():
    assert lun_image.target_id(SHOW, "iqn.2026-11.org.ikzops:lab.district.city-san") == 12
    assert lun_image.target_id(SHOW, "iqn.2026-11.org.ikzops:lab.district.city") is None


def test_a_copy_has_the_sources_hash_and_bytes_and_leaves_zero_blocks_unwritten(tmp_path):
    source = tmp_path / "lun.img"
    with open(source, "wb") as out:
        out.truncate(3 * lun_image.BLOCK + 100)
        out.seek(lun_image.BLOCK)
        out.write(os.urandom(4096))
    copy = tmp_path / "copy.img"
    digest, size = lun_image.copy(str(source), str(copy))
    data = source.read_bytes()
    assert (digest, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert copy.read_bytes() == data
    assert os.stat(copy).st_mode & 0o777 == 0o600
    assert os.stat(copy).st_blocks * 512 < 2 * lun_image.BLOCK


def test_a_lun_whose_target_tgt_does_not_serve_is_copied_as_it_is(tmp_path, monkeypatch):
    monkeypatch.setattr(lun_image, "_run", lambda *argv: SHOW)
    source = tmp_path / "disk.img"
    source.write_bytes(b"x" * 8192)
    [image] = lun_image.take([{"name": "disk", "backing": "file", "device": str(source), "vg": None, "size": 8192,
                               "iqn": "iqn.2026-11.org.ikzops:other"}], str(tmp_path / "images"))
    assert image.sha256 == hashlib.sha256(b"x" * 8192).hexdigest() and image.paused_seconds >= 0
    lun_image.clear(str(tmp_path / "images"))
    assert os.listdir(tmp_path / "images") == []


def test_a_served_target_is_set_offline_for_the_copy_and_ready_again_when_it_fails(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(lun_image, "_run", lambda *argv: calls.append(argv[-1]) or SHOW)
    lun = {"name": "disk", "backing": "file", "device": str(tmp_path / "missing.img"), "vg": None, "size": 1,
           "iqn": "iqn.2026-11.org.ikzops:lab.city.city-san"}
    try:
        lun_image.take([lun], str(tmp_path / "images"))
    except FileNotFoundError:
        pass
    assert calls[-2:] == ["offline", "ready"]
