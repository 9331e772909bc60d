"""The monitoring configs ikzops renders: every scrape and the alert path go over TLS with the
monitoring account; no web endpoint is left without it."""

from __future__ import annotations

from ikzops import layout, templates
from ikzops.model.loader import load
from ikzops.monitoring.config import prometheus_values
from ikzops.secrets import credentials
from tests.lab.helpers import LAB


def test_every_scrape_and_the_alertmanager_go_over_tls_with_a_credential():
    config = templates.render("monitoring/prometheus.yml.j2", **prometheus_values(load(LAB), "city-mon"))
    alerting, scrapes = config.split("alerting:")[1].split("scrape_configs:")
    endpoints = [alerting, *scrapes.split("- job_name:")[1:]]
    assert len(endpoints) == 4  # Alertmanager; node, rest-server, prometheus
    for endpoint in endpoints:
        assert "scheme: https" in endpoint and "ca_file: /etc/prometheus/ikzops/ca.crt" in endpoint
        assert f"username: {credentials.MONITOR_USER}" in endpoint or f"username: {credentials.METRICS_USER}" in endpoint
    assert f"password_file: {layout.MONITOR_PASSWORD}" in alerting


def test_the_web_config_requires_tls_1_2_and_holds_only_the_hash():
    web = templates.render("monitoring/web.yml.j2", host="h", daemons="node_exporter", folder="/x",
                           user=credentials.MONITOR_USER, bcrypt="$2b$10$abc")
    assert "  min_version: TLS12\n" in web
    assert web.split("basic_auth_users:\n")[1] == f"  {credentials.MONITOR_USER}: $2b$10$abc\n"


def test_alertmanager_runs_without_gossip_and_every_daemon_with_the_web_config():
    for template in ("alertmanager.default.j2", "prometheus.default.j2", "node-exporter.default.j2"):
        args = templates.render(f"monitoring/{template}", web_config="/w.yml", textfile_dir="/t")
        assert "--web.config.file=/w.yml" in args
    assert '--cluster.listen-address="' in templates.render("monitoring/alertmanager.default.j2", web_config="/w.yml")
