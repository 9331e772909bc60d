"""Deploy the monitoring: node_exporter everywhere, Prometheus and Alertmanager on monitors.

Every monitor scrapes every site (a site's monitor also watches the partner sites),
so the loss of a site is noticed from the others. All three serve TLS 1.2+ with the
host's certificate from the partnership CA and admit one account (``MONITOR_USER``;
exporter-toolkit's ``--web.config.file``): no other host reads metrics or creates a
silence.
"""

from __future__ import annotations

from io import StringIO

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import apt, systemd
from pyinfra.operations.util import any_changed

from ikzops import layout, templates
from ikzops.deploys import daemons
from ikzops.deploys.context import partnership
from ikzops.deploys.hardening import hardened
from ikzops.deploys.repository import secret_file
from ikzops.monitoring.config import alertmanager_values, prometheus_values, rules_values
from ikzops.operations.checked import install_checked
from ikzops.operations.files import directory, put
from ikzops.secrets import credentials, pki
from ikzops.secrets.store import SecretStore

IKZ_DIR = layout.MONITORING_DIR
WEB_DIR = layout.MONITORING_WEB_DIR
WEB_CONFIG = f"{WEB_DIR}/web.yml"
#: Debian's Alertmanager keeps its silences and notification log here
ALERTMANAGER_DATA = "/var/lib/prometheus/alertmanager"


def web_endpoint(p, store: SecretStore) -> list:
    """The host's TLS certificate and key and the web config with the monitoring account's hash."""

    cert = pki.server_certificate(store, p.name, host.name, layout.server_names(p.hosts[host.name]))
    daemons = "node_exporter, Prometheus and Alertmanager" if "monitor" in host.groups else "node_exporter"
    directory(name="monitoring TLS directory", path=WEB_DIR, user="root", group="prometheus", mode="0750")
    return [
        put(name="monitoring TLS certificate", src=StringIO(cert.certificate), dest=f"{WEB_DIR}/server.crt", mode="0644"),
        secret_file("monitoring TLS key", cert.key, f"{WEB_DIR}/server.key", group="prometheus", mode="0640"),
        secret_file("monitoring web config (TLS, the monitoring account's bcrypt hash)",
                    templates.render("monitoring/web.yml.j2", host=host.name, daemons=daemons, folder=WEB_DIR,
                                     user=credentials.MONITOR_USER, bcrypt=credentials.monitor_bcrypt(store)),
                    WEB_CONFIG, group="prometheus", mode="0640"),
    ]


@deploy("ikzops: node_exporter")
def node_exporter() -> None:
    p = partnership()
    apt.packages(name="Install node_exporter", packages=["prometheus-node-exporter"])
    directory(name="textfile collector directory", path=layout.METRICS_DIR, mode="0755")
    web = web_endpoint(p, SecretStore(p.name))
    args = put(
        name="node_exporter settings", dest="/etc/default/prometheus-node-exporter", mode="0644",
        src=StringIO(templates.render("monitoring/node-exporter.default.j2", textfile_dir=layout.METRICS_DIR,
                                      web_config=WEB_CONFIG)),
    )
    dropin = hardened("prometheus-node-exporter", read_write=())
    systemd.service(name="node_exporter running and enabled", service="prometheus-node-exporter", running=True, enabled=True)
    systemd.service(name="node_exporter restart (settings, certificate or hardening changed)",
                    service="prometheus-node-exporter", restarted=True, _if=any_changed(args, dropin, *web))


@deploy("ikzops: monitor")
def monitor() -> None:
    if "monitor" not in host.groups:
        return
    p = partnership()
    store = SecretStore(p.name)
    apt.packages(name="Install Prometheus, Alertmanager", packages=["prometheus", "prometheus-alertmanager", "python3"])
    directory(name="ikzops Prometheus directory", path=IKZ_DIR, user="root", group="prometheus", mode="0750")
    put(name="partnership CA certificate", src=StringIO(pki.ca_certificate(store, p.name)),
        dest=f"{IKZ_DIR}/ca.crt", mode="0644")
    put(name="rest-server metrics password", src=StringIO(credentials.rest_password(store, credentials.METRICS_USER)),
        dest=f"{IKZ_DIR}/rest-server.password", user="root", group="prometheus", mode="0640")
    secret_file("monitoring account password (scrapes, alerts)", credentials.monitor_password(store), layout.MONITOR_PASSWORD,
                group="prometheus", mode="0640")
    secret_file("amtool's HTTP config (on-call's silences, README)",
                templates.render("monitoring/amtool.yml.j2", user=credentials.MONITOR_USER, password_file=layout.MONITOR_PASSWORD,
                                 ca_file=f"{IKZ_DIR}/ca.crt"), f"{IKZ_DIR}/amtool.yml")
    # the certificate and web config are node_exporter's (above); exporter-toolkit reads them
    # anew for every connection, so only changed settings need a restart
    prometheus_args = put(name="Prometheus settings (TLS, the monitoring account)", dest="/etc/default/prometheus",
                          mode="0644", src=StringIO(templates.render("monitoring/prometheus.default.j2",
                                                                     web_config=WEB_CONFIG)))
    alertmanager_args = put(name="Alertmanager settings (TLS, the monitoring account, no gossip)",
                            dest="/etc/default/prometheus-alertmanager", mode="0644",
                            src=StringIO(templates.render("monitoring/alertmanager.default.j2", web_config=WEB_CONFIG)))

    put(name="alert rules (candidate)", dest=f"{IKZ_DIR}/rules.yml.candidate", mode="0644",
        src=StringIO(templates.render("monitoring/rules.yml.j2", **rules_values(p))))
    rules = install_checked(name="alert rules (promtool check rules)", candidate=f"{IKZ_DIR}/rules.yml.candidate",
                            live=f"{IKZ_DIR}/rules.yml", check=f"promtool check rules {IKZ_DIR}/rules.yml.candidate",
                            group="prometheus")
    put(name="Prometheus config (candidate)", dest=f"{IKZ_DIR}/prometheus.yml.candidate", mode="0644",
        src=StringIO(templates.render("monitoring/prometheus.yml.j2", **prometheus_values(p, host.name))))
    config = install_checked(name="Prometheus config (promtool check config)", candidate=f"{IKZ_DIR}/prometheus.yml.candidate",
                             live="/etc/prometheus/prometheus.yml",
                             check=f"promtool check config --syntax-only {IKZ_DIR}/prometheus.yml.candidate",
                             group="prometheus")
    put(name="Alertmanager config (candidate)", dest=f"{IKZ_DIR}/alertmanager.yml.candidate", mode="0644",
        src=StringIO(templates.render("monitoring/alertmanager.yml.j2", **alertmanager_values(p, host.name))))
    alerting = install_checked(name="Alertmanager config (amtool check-config)", candidate=f"{IKZ_DIR}/alertmanager.yml.candidate",
                               live="/etc/prometheus/alertmanager.yml",
                               check=f"amtool check-config {IKZ_DIR}/alertmanager.yml.candidate")
    sink = put(name="alert sink service", dest="/etc/systemd/system/ikzops-alert-sink.service", mode="0644",
               src=StringIO(templates.render("monitoring/ikzops-alert-sink.service.j2", agent_dir=layout.AGENT_DIR)))
    systemd.daemon_reload(name="systemd reload (units changed)", _if=sink.did_change)
    systemd.service(name="alert sink running and enabled", service="ikzops-alert-sink", running=True, enabled=True)
    daemons.running("Prometheus", "prometheus", restart_if=(prometheus_args,), reload_if=(rules, config))
    alertmanager = hardened("prometheus-alertmanager", read_write=(ALERTMANAGER_DATA,))
    daemons.running("Alertmanager", "prometheus-alertmanager", restart_if=(alertmanager, alertmanager_args),
                    reload_if=(alerting,))
