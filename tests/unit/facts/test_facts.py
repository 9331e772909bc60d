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


def test_files_in_reads_mode_owner_and_digest_of_each_file():
    from ikzops.facts.files import FilesIn, FileState

    digest = "a" * 64
    output = ["directory", "stat f 600 root prometheus monitor password", "stat d 700 root root jobs",
              f"{digest}  /etc/x/monitor password"]
    assert FilesIn().process(output) == {"monitor password": FileState(0o600, "root", "prometheus", digest),
                                         "jobs": FileState(0o700, "root", "root", "", "d")}


def test_files_in_a_missing_directory_is_none_and_an_empty_one_is_empty():
    from ikzops.facts.files import FilesIn

    assert FilesIn().process([]) is None
    assert FilesIn().process(["directory"]) == {}


def test_firewall_state_reads_the_deploys_address_and_digests():
    from ikzops.facts.firewall import Firewall

    state = Firewall().process(["client=172.30.77.1", "ruleset=ab", "live=cd", "recorded=cd"])
    assert (state.client, state.ruleset, state.live, state.recorded, state.pending) == (
        "172.30.77.1", "ab", "cd", "cd", False)


def test_repositories_under_a_volume_are_the_folders_of_their_config_files():
    from ikzops.facts.filesystem import RepositoriesUnder

    output = ["app/files/config", "city/app/db/config", "city/app/db/data/config-like"]
    assert RepositoriesUnder().process(output) == {"app/files", "city/app/db"}
