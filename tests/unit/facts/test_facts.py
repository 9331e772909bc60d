from ikzops.facts.filesystem import Filesystem, FilesystemSize
from ikzops.facts.luns import LogicalVolumes


def test_logical_volumes_by_vg_and_name_in_bytes():
    output = ["  vg_san|ikz-city-vmstore|8796093022208", "  vg_san|root|21474836480"]
    assert LogicalVolumes().process(output) == {"vg_san/ikz-city-vmstore": 8796093022208, "vg_san/root": 21474836480}


def test_no_logical_volumes_is_an_empty_mapping():
    assert LogicalVolumes.default() == {}


def test_filesystem_size_reads_dfs_last_line():
    assert FilesystemSize().process(["1000 400"]) == Filesystem(1000, 400)


def test_filesystem_size_quotes_the_path():
    command = FilesystemSize().command("/srv/my repos").get_raw_value()
    assert "'/srv/my repos'" in command and "df -B1 --output=size,avail" in command
