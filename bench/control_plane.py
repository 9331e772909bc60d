"""Control plane at scale: `inventory check` and deploy planning for 50 sites, 500 hosts,
2,000 jobs and 100 partners.

Generates an inventory (per site: a storage+repository host, a monitor, 8 clients with 5
jobs each to the next site; a LUN per site; 100 partners: each site's operator, and one
tenant per site without a data centre owning half of that site's jobs, trusting the
operators that hold its keys), then in a fresh process times loading + validation (the
trust check included), `inventory check`'s tables (the who-can-read matrix included),
and the planning ikzops does for every host (targets, job settings, units, capacity
plans, each partner's rest-server settings, Prometheus configs, all templates rendered) without contacting any host. Reports
time and peak memory.

    python -m bench.control_plane [--sites 50]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import arguments, save

PROBE = r'''
import json, resource, sys, time
from ikzops import templates
from ikzops import layout
from ikzops.model.loader import load
from ikzops.deploys.jobs import unit_values
from ikzops.monitoring.config import prometheus_values, rules_values
from ikzops.layout import capacity_plan
from ikzops.san.targets import targets_for

started = time.perf_counter()
p = load(sys.argv[1])
from io import StringIO
from rich.console import Console
from ikzops.cli.views import partnership_overview
screen = Console(file=StringIO(), width=200)
for table in partnership_overview(p):
    screen.print(table)
check_s = time.perf_counter() - started
started = time.perf_counter()
rendered = 0
for host in p.hosts.values():
    if host.has("storage"):
        for target in targets_for(p, host.name):
            templates.render("storage/tgt-target.conf.j2", host=host.name, target=target, chap_secret="x" * 16)
            rendered += 1
    if host.has("repository"):
        json.dumps(capacity_plan(p, host.name)); json.dumps(layout.retention_config(p, host.name))
        rendered += 2
        for instance in layout.rest_instances(p, host.name):  # one rest-server per partner landing here
            templates.render("backup/rest-server-partner.env.j2", instance=instance, tls_dir="/t", godebug="x")
            rendered += 1
    for job in p.jobs_of_client(host.name):
        layout.job_config(p, job).to_json()
        values = unit_values(p, job)
        templates.render("backup/ikzops-backup.service.j2", **values)
        templates.render("backup/ikzops-backup.timer.j2", **values)
        rendered += 3
    if host.has("monitor"):
        templates.render("monitoring/prometheus.yml.j2", **prometheus_values(p, host.name))
        rendered += 1
templates.render("monitoring/rules.yml.j2", **rules_values(p))
plan_s = time.perf_counter() - started
print(json.dumps({"hosts": len(p.hosts), "sites": len(p.sites), "jobs": len(p.jobs), "luns": len(p.luns),
                  "partners": len(p.partners),
                  "check_s": check_s, "plan_s": plan_s, "files_rendered": rendered,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def generate(folder: Path, sites: int) -> Path:
    (folder / "group_data").mkdir(parents=True)
    lines, groups = [], {"storage": [], "repository": [], "client": [], "monitor": []}
    names = [f"s{i:02d}" for i in range(sites)]
    for i, site in enumerate(names):
        hosts = []
        base = f"10.{i // 200}.{i % 200}"
        hosts.append(f'("{site}-san", {{"ssh_hostname": "{base}.10", "ikz_pools": {{"ssd": {{"backing": "lvm", "vg": "vg0", "size": "100T"}}}}, '
                     f'"ikz_repository": {{"path": "/srv/repos", "size": "200T"}}}})')
        groups["storage"].append(f"{site}-san")
        groups["repository"].append(f"{site}-san")
        hosts.append(f'("{site}-mon", {{"ssh_hostname": "{base}.11"}})')
        groups["monitor"].append(f"{site}-mon")
        for c in range(8):
            hosts.append(f'("{site}-app{c}", {{"ssh_hostname": "{base}.{20 + c}"}})')
            groups["client"].append(f"{site}-app{c}")
        lines.append(f"{site.replace('-', '_')} = [\n    " + ",\n    ".join(hosts) + ",\n]\n")
    for role, members in groups.items():
        lines.append(f"{role} = {members!r}\n")
    (folder / "scale.py").write_text("\n".join(lines))
    after = {site: names[(i + 1) % sites] for i, site in enumerate(names)}
    partners = {f"op-{site}": {"name": f"Operator of {site}", "contact": f"backup@{site}.example",
                               "trust": [f"op-{after[site]}"]} for site in names}
    partners |= {f"town-{site}": {"name": f"Town served at {site}", "trust": [f"op-{site}", f"op-{after[site]}"]}
                 for site in names}
    data = {
        "ikz_partnership": "scale",
        "ikz_partners": partners,
        "ikz_sites": {site: {"partner": f"op-{site}"} for site in names},
        "ikz_jobs": {f"{site}-app{c}-job{j}": {
            "client": f"{site}-app{c}", "paths": [f"/srv/data{j}"], "schedule": "hourly", "rpo": "2h", "rto": "4h",
            "destinations": [after[site]], **({"owner": f"town-{site}"} if c >= 4 else {})}
            for site in names for c in range(8) for j in range(5)},
        "ikz_luns": {f"{site}-vm": {"partner": site, "host": f"{site}-san", "pool": "ssd", "size": "10T",
                                     "initiators": [f"iqn.2026-11.test.scale:{site}"]} for site in names},
    }
    (folder / "group_data" / "scale.py").write_text("".join(f"{k} = {v!r}\n" for k, v in data.items()))
    return folder / "scale.py"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=50)
    args = arguments(parser, argv, sites=3)
    inventory = generate(Path(tempfile.mkdtemp(prefix="ikzops-scale-")), args.sites)
    out = subprocess.run([sys.executable, "-c", PROBE, str(inventory)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    r = json.loads(out.stdout)
    return save("control_plane", r,
         f"### Control plane: {r['sites']} sites, {r['hosts']} hosts, {r['jobs']} jobs, {r['partners']} partners, "
         f"{r['luns']} LUNs (no host contacted)\n\n"
         "| step | seconds |\n|---|---|\n"
         f"| `inventory check`: load, validate (trust included), print its tables (who-can-read included) "
         f"| {r['check_s']:.2f} |\n"
         f"| plan every host ({r['files_rendered']} files rendered) | {r['plan_s']:.2f} |\n"
         f"| peak memory | {r['peak_rss_mib']:.0f} MiB |\n", smoke=args.smoke)


if __name__ == "__main__":
    main()
