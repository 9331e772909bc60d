"""Monitoring in the lab: real node_exporter, Prometheus, Alertmanager, real alerts."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from ikzops import layout, templates
from ikzops.lab import manager
from ikzops.model.schema import MonitoringSpec
from ikzops.monitoring.config import rules_values
from ikzops.orchestrate import backup as backups
from ikzops.orchestrate import deploy as deploys
from ikzops.progress import Recorder
from ikzops.secrets import credentials
from ikzops.secrets.store import SecretStore
from tests.lab.helpers import LAB, ROOT, on_host, sh, wait_for


@pytest.fixture(scope="module")
def deployed(deployed_lab):
    """A second deploy of the deployed lab: it must change nothing."""
    return deploys.deploy(LAB)




def api(p, monitor: str, path: str, port: int = 9090) -> dict:
    """A monitor's own API, as the monitor reaches it: TLS with the partnership CA, and the
    monitoring account (curl reads the password from its config on stdin, not argv)."""

    config = f'user = "{credentials.MONITOR_USER}:{credentials.monitor_password(SecretStore(p.name))}"'
    out = sh(p, monitor, f"curl -sf -K - --cacert {layout.MONITORING_DIR}/ca.crt "
                         f"--resolve {monitor}:{port}:127.0.0.1 https://{monitor}:{port}{path}", stdin=config)
    return json.loads(out)


def alerts(p, monitor: str) -> list[dict]:
    return api(p, monitor, "/api/v1/alerts")["data"]["alerts"]


def targets(p, monitor: str) -> list[dict]:
    return api(p, monitor, "/api/v1/targets")["data"]["activeTargets"]


def test_second_full_deploy_changes_nothing(deployed):
    changed = [(op.name, op.changed) for op in deployed.operations if op.changed]
    assert not changed and not deployed.errors, (changed, deployed.errors)


def test_a_stopped_alertmanager_whose_config_drifted_is_started_once_and_stays_up(deployed, p):
    """A start, then a reload: a Go daemon killed by the SIGHUP before it installs its handler
    exits "cleanly" and systemd leaves it down. The deploy only starts it (the start reads the
    config)."""

    sh(p, "district-mon", "systemctl stop prometheus-alertmanager && echo '# drifted' >> /etc/prometheus/alertmanager.yml")
    report = deploys.deploy(LAB)
    done = {op.name.rsplit(" | ", 1)[-1] for op in report.operations if "district-mon" in op.changed}
    assert {"Alertmanager config (amtool check-config)", "Alertmanager running and enabled"} <= done, done
    assert not {"Alertmanager reload (config changed)", "Alertmanager restart (settings or unit changed)"} & done, done
    time.sleep(3)
    assert sh(p, "district-mon", "systemctl is-active prometheus-alertmanager").strip() == "active"
    assert "# drifted" not in sh(p, "district-mon", "cat /etc/prometheus/alertmanager.yml")


def test_every_monitor_scrapes_every_host_of_every_site(deployed, p):
    for monitor in p.hosts_with("monitor"):
        found = targets(p, monitor.name)
        nodes = {t["labels"]["instance"]: t for t in found if t["labels"]["job"] == "node"}
        assert set(nodes) == set(p.hosts)
        assert {t["labels"]["site"] for t in nodes.values()} == set(p.sites)
        servers = {(t["labels"]["site"], t["labels"]["partner"]) for t in found if t["labels"]["job"] == "rest-server"}
        assert servers == {(h.site, i.partner) for h in p.hosts_with("repository")
                           for i in layout.rest_instances(p, h.name)}  # every partner's rest-server
        up = wait_for(lambda name=monitor.name: all(t["health"] == "up" for t in targets(p, name)), 30)
        assert up, targets(p, monitor.name)


def test_promtool_accepts_the_deployed_config_and_rules(deployed, p):
    out = on_host(p, "city-mon", "promtool check config /etc/prometheus/prometheus.yml && "
                                 "promtool check rules /etc/prometheus/ikzops/rules.yml", check=False)
    assert out.returncode == 0


def test_promtool_unit_tests_cover_every_alert(deployed, p):
    rules = templates.render("monitoring/rules.yml.j2", **rules_values(_with_defaults(p)))
    tests = (ROOT / "tests/monitoring/rules_test.yml").read_text()
    alert_names = {line.split(":", 1)[1].strip() for line in rules.splitlines() if line.strip().startswith("- alert:")}
    assert alert_names <= {line.split(":", 1)[1].strip() for line in tests.splitlines() if "alertname:" in line}
    folder = sh(p, "city-mon", "mktemp -d").strip()
    try:
        sh(p, "city-mon", f"cat > {folder}/rules.yml", stdin=rules)
        sh(p, "city-mon", f"cat > {folder}/rules_test.yml", stdin=tests)
        result = on_host(p, "city-mon", f"cd {folder} && promtool test rules rules_test.yml", check=False)
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        sh(p, "city-mon", f"rm -rf {folder}")


def _with_defaults(p):
    from dataclasses import replace

    return replace(p, monitoring=MonitoringSpec())


def test_stale_backup_alert_fires_on_both_monitors_and_clears_after_a_backup(deployed, p, timer_stopped):
    # held back: a scheduled run during the wait would write a fresh timestamp over the injected one
    assert backups.exit_code(backups.backup(LAB, ("city-files",), Recorder())) == 0

    def firing(monitor):
        return [a for a in alerts(p, monitor) if a["labels"]["alertname"] == "IkzBackupStale"
                and a["labels"].get("backup_job") == "city-files" and a["state"] == "firing"]

    assert wait_for(lambda: not firing("city-mon"), 90), "the alert fires before anything was injected"
    metrics = f"{layout.METRICS_DIR}/ikzops_backup_city-files.prom"
    old = int(time.time()) - 3 * 3600
    sh(p, "city-app", f"sed -i -E 's/^(ikzops_backup_last_success_timestamp_seconds\\{{[^}}]*destination=\"district\"\\}}) .*/\\1 {old}/' {metrics}")
    injected = time.monotonic()

    assert wait_for(lambda: firing("city-mon"), 90), alerts(p, "city-mon")
    seconds = time.monotonic() - injected
    assert wait_for(lambda: firing("district-mon"), 30)
    print(f"missed backup to firing alert: {seconds:.0f} s")

    def delivered(status: str):
        sink = sh(p, "city-mon", "cat /var/log/ikzops/alerts.jsonl 2>/dev/null || true")
        return any(f'"status":"{status}"' in line and "IkzBackupStale" in line for line in sink.splitlines())

    # Alertmanager sends "resolved" only for what it notified as firing: wait for that first
    assert wait_for(lambda: delivered("firing"), 60), "Alertmanager delivered no firing notification"
    assert backups.exit_code(backups.backup(LAB, ("city-files",), Recorder())) == 0
    assert wait_for(lambda: not firing("city-mon"), 90)
    assert wait_for(lambda: delivered("resolved"), 90), "Alertmanager delivered no resolved notification"


def test_site_down_is_seen_from_the_other_site(deployed, p):
    lost = [f"ikzops-{p.name}-{h.name}" for h in p.hosts_in("district")]
    subprocess.run(["docker", "stop", "-t", "5", *lost], check=True, capture_output=True)
    try:
        def site_down():
            return [a for a in alerts(p, "city-mon") if a["labels"]["alertname"] == "IkzSiteDown"
                    and a["labels"].get("site") == "district" and a["state"] == "firing"]

        assert wait_for(site_down, 120), alerts(p, "city-mon")
    finally:
        subprocess.run(["docker", "start", *lost], check=True, capture_output=True)
        manager.up(Recorder())


def _status(p, source: str, path: str, *, port: int, target: str, method: str = "GET", config: str = "") -> str:
    """The HTTP status ``source`` gets from ``target``'s monitoring endpoint without the
    monitoring account (or with ``config``'s curl credentials); "000": no connection."""

    data = "-X POST -H 'Content-Type: application/json' -d '{}'" if method == "POST" else ""
    return sh(p, source, f"curl -s -m 5 -o /dev/null -w '%{{http_code}}' -K - {data} --cacert {layout.CA_FILE} "
                         f"https://{p.hosts[target].address}:{port}{path}", stdin=config or "# no credential\n", check=False)


@pytest.mark.fault("attack")
def test_no_host_reads_metrics_without_the_monitoring_account(deployed, p):
    # a client does not even connect (the firewall admits monitors only) ...
    assert _status(p, "city-app", "/metrics", port=9100, target="district-san") == "000"
    # ... and a host the firewall admits still needs the account
    assert _status(p, "district-mon", "/metrics", port=9100, target="district-san") == "401"
    wrong = f'user = "{credentials.MONITOR_USER}:not-the-password"'
    assert _status(p, "district-mon", "/metrics", port=9100, target="district-san", config=wrong) == "401"
    assert _status(p, "district-mon", "/api/v1/query?query=up", port=9090, target="city-mon") == "401"
    plain = sh(p, "district-mon", f"curl -s -o /dev/null -w '%{{http_code}}' http://{p.hosts['district-san'].address}:9100/metrics",
               check=False)
    assert plain in ("400", "000"), plain  # plain HTTP gets no metrics


@pytest.mark.fault("attack")
def test_no_host_creates_a_silence_without_the_account_nor_reaches_alertmanagers_gossip(deployed, p):
    assert _status(p, "city-app", "/api/v2/silences", port=9093, target="city-mon", method="POST") == "000"
    assert _status(p, "district-mon", "/api/v2/silences", port=9093, target="city-mon", method="POST") == "401"
    for source in ("city-app", "district-mon"):
        gossip = sh(p, source, f"timeout 3 bash -c '</dev/tcp/{p.hosts['city-mon'].address}/9094' && echo open || echo closed",
                    check=False)
        assert gossip.strip().splitlines()[-1] == "closed", source


def test_on_call_silences_on_a_monitor_with_the_readme_line(deployed, p):
    """The README's amtool line, as it stands, on city-mon: a silence made and expired again."""

    readme = (ROOT / "README.md").read_text()
    line = next(row for row in readme.splitlines() if row.strip().startswith("amtool --alertmanager.url="))
    made = on_host(p, "city-mon", line.strip(), check=False)
    assert made.returncode == 0, made.stderr
    silence_id = made.stdout.strip()
    assert [s["id"] for s in api(p, "city-mon", "/api/v2/silences", port=9093) if s["status"]["state"] == "active"] == [silence_id]
    expire = line.strip().split(" silence add ")[0] + f" silence expire {silence_id}"
    assert on_host(p, "city-mon", expire, check=False).returncode == 0
