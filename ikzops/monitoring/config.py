"""The values the monitoring templates are rendered with (pure)."""

from __future__ import annotations

from ikzops import layout
from ikzops.model.partnership import Partnership
from ikzops.model.units import format_duration
from ikzops.monitoring.metrics import FLOOD_FACTOR, FLOOD_SLACK, QUOTA_CRITICAL, QUOTA_WARNING
from ikzops.secrets import credentials


def _prom_duration(value) -> str:
    seconds = int(value.total_seconds())
    return f"{seconds}s"


def prometheus_values(p: Partnership, host: str) -> dict:
    return {
        "host": host,
        "site": p.hosts[host].site,
        "partnership": p.name,
        "scrape_interval": _prom_duration(p.monitoring.scrape_interval),
        "evaluation_interval": _prom_duration(p.monitoring.evaluation_interval),
        "node_targets": {site: p.hosts_in(site) for site in p.sites},
        "rest_targets": [(repo_host, instance) for repo_host in p.hosts_with("repository")
                         for instance in layout.rest_instances(p, repo_host.name)],
        "monitor_targets": p.hosts_with("monitor"),
        "metrics_user": credentials.METRICS_USER,
        "monitor_user": credentials.MONITOR_USER,
        "monitor_password": layout.MONITOR_PASSWORD,
    }


def rules_values(p: Partnership) -> dict:
    target = p.monitoring.availability_target
    budget = 1 - target
    return {
        "partnership": p.name,
        "alert_for": _prom_duration(p.monitoring.alert_for),
        "drill_max_age": format_duration(p.monitoring.drill_max_age),
        "drill_max_age_seconds": int(p.monitoring.drill_max_age.total_seconds()),
        "error_budget": f"{budget:.6f}",
        "availability_percent": f"{target * 100:g}",
        "budget_minutes": round(budget * 365 * 24 * 60),
        "flood_factor": FLOOD_FACTOR,
        "flood_slack": FLOOD_SLACK,
        "quota_warning": QUOTA_WARNING,
        "quota_critical": QUOTA_CRITICAL,
    }


def alertmanager_values(p: Partnership, host: str) -> dict:
    receivers = p.monitoring.receivers
    fast = p.monitoring.evaluation_interval.total_seconds() < 30
    return {
        "host": host,
        "webhooks": receivers.webhooks,
        "email": receivers.email,
        "group_wait": "5s" if fast else "30s",
        "group_interval": "10s" if fast else "5m",
    }
