from ikzops.lab import daemon


def test_stale_pid_file_of_a_dead_process_is_removed(tmp_path, monkeypatch):
    stale = tmp_path / "docker.pid"
    stale.write_text("999999999\n")
    monkeypatch.setattr(daemon, "DOCKER_PID_FILE", stale)
    monkeypatch.setattr(daemon, "CONTAINERD_PID_FILE", tmp_path / "none.pid")
    assert daemon.remove_stale_pid_files() == [stale]
    assert not stale.exists()


def test_pid_file_of_a_live_process_is_kept(tmp_path, monkeypatch):
    live = tmp_path / "docker.pid"
    live.write_text("1\n")
    monkeypatch.setattr(daemon, "DOCKER_PID_FILE", live)
    monkeypatch.setattr(daemon, "CONTAINERD_PID_FILE", tmp_path / "none.pid")
    assert daemon.remove_stale_pid_files() == []
    assert live.exists()
