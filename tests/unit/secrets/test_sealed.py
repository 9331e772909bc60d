import pytest

from ikzops.errors import ConfigError
from ikzops.secrets import sealed


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "store"
    (root / "repository").mkdir(parents=True)
    (root / "repository" / "job.password").write_text("s3cret\n")
    (root / "tls").mkdir()
    (root / "tls" / "ca.key").write_text("KEY\n")
    return root


def test_the_store_opens_again_with_the_sheet_only(store, tmp_path):
    text, public = sealed.new_key()
    blob = sealed.seal(sealed.archive(store), public)
    assert b"s3cret" not in blob
    names = sealed.extract(sealed.unseal(blob, sealed.parse_sheet(text)), tmp_path / "opened")
    assert sorted(names) == ["repository/job.password", "tls/ca.key"]
    assert (tmp_path / "opened" / "repository" / "job.password").read_text() == "s3cret\n"
    assert oct((tmp_path / "opened" / "tls" / "ca.key").stat().st_mode & 0o777) == "0o600"


def test_an_unchanged_store_seals_to_the_same_bytes_and_a_changed_one_does_not(store):
    _, public = sealed.new_key()
    first = sealed.seal(sealed.archive(store), public)
    assert sealed.seal(sealed.archive(store), public) == first
    (store / "repository" / "job.password").write_text("other\n")
    assert sealed.seal(sealed.archive(store), public) != first


def test_another_key_does_not_open_it(store):
    _, public = sealed.new_key()
    other, _ = sealed.new_key()
    with pytest.raises(sealed.Unsealable, match="does not open"):
        sealed.unseal(sealed.seal(sealed.archive(store), public), sealed.parse_sheet(other))


def test_a_typo_in_the_sheet_is_caught_by_its_checksum():
    text, _ = sealed.new_key()
    groups = text.split()
    groups[3] = groups[3][::-1] if groups[3][::-1] != groups[3] else "AAAA"
    with pytest.raises(ConfigError, match="typo"):
        sealed.parse_sheet(" ".join(groups))


def test_the_sheet_may_be_typed_back_in_lower_case_with_line_breaks():
    text, public = sealed.new_key()
    key = sealed.parse_sheet(text.lower().replace(" ", "\n"))
    assert sealed._raw(key.public_key()) == public
