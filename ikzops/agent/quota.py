"""Each partner's use of its quota on this repository host, for Prometheus:
``python3 -m ikzops_agent.quota`` (a timer runs it every few minutes).

Reads the capacity plan (``/etc/ikzops/capacity.json``) and adds up the sizes of the files
under each partner's directory - what the partner's rest-server counts against its
``--max-size`` - into node_exporter's textfile directory, so that an alert fires before a
partner's backups are refused. On a site whose repositories are buckets of an S3 gateway
(the plan names its ``gateway``) it asks the gateway instead: each partner user's usage as
RGW counts it against its quota (admin API, signed with Debian's python3-botocore, as the
gateway's usage reader, which sees statistics and no object). Exit 0, or 1 if a partner's
usage could not be read.
"""

from __future__ import annotations

import json
import os
import ssl
import sys

from .bucket import read_key
from .execute import log
from .fileio import write_atomic
from .metrics import labels, render_gauges

CAPACITY = "/etc/ikzops/capacity.json"
TEXTFILE = "ikzops_quota.prom"
METRICS = {
    "ikzops_partner_quota_used_bytes": "Bytes a partner's repositories take on this repository host (what its "
                                       "rest-server, or the S3 gateway, counts against its quota).",
    "ikzops_partner_quota_bytes": "A partner's quota on this repository host (its rest-server's --max-size, or "
                                  "its user quota at the S3 gateway).",
}


def used_bytes(path: str) -> int:
    """The sizes of the files under ``path`` (0 if it does not exist yet)."""

    total = 0
    for folder, _, names in os.walk(path, onerror=_raise):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except FileNotFoundError:  # removed by a prune meanwhile
                continue
    return total


def _raise(error: OSError) -> None:
    if not isinstance(error, FileNotFoundError):
        raise error


def gateway_bytes(gateway: dict, uid: str) -> int:
    """What the gateway counts against ``uid``'s quota: its buckets' size as stored."""

    import urllib.parse
    import urllib.request

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    # the sum over the user's buckets (each bucket's index is current); the user's own statistics
    # are a header RGW refreshes in the background and read 0 for minutes after a first backup
    url = f"{gateway['endpoint']}/admin/bucket?uid={urllib.parse.quote(uid, safe='')}&stats=true"
    signed = AWSRequest(method="GET", url=url)
    keys = Credentials(read_key(gateway["key_file"]), read_key(gateway["secret_file"]))
    S3SigV4Auth(keys, "s3", gateway.get("region", "default")).add_auth(signed)
    context = ssl.create_default_context(cafile=gateway.get("cacert"))
    request = urllib.request.Request(url, headers=dict(signed.headers))
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        found = json.load(answer) or []
    return sum(int(usage.get("size_actual", 0)) for bucket in found for usage in (bucket.get("usage") or {}).values())


def render(plan: dict, used: dict[str, int]) -> str:
    samples: dict[str, list[tuple[str, object]]] = {name: [] for name in METRICS}
    for partner, entry in plan["partners"].items():
        if partner not in used:
            continue
        label = labels(partner=partner, host=plan["host"])
        samples["ikzops_partner_quota_used_bytes"].append((label, used[partner]))
        samples["ikzops_partner_quota_bytes"].append((label, entry.get("quota_bytes")))
    return render_gauges(METRICS, samples)


def main(argv: list[str]) -> int:
    capacity = argv[0] if argv else CAPACITY
    metrics_dir = argv[1] if len(argv) > 1 else "/var/lib/prometheus/node-exporter"
    with open(capacity, encoding="utf-8") as handle:
        plan = json.load(handle)
    used, failed = {}, 0
    for partner, entry in plan["partners"].items():
        try:
            if plan.get("gateway"):
                used[partner] = gateway_bytes(plan["gateway"], entry["s3_user"])
            else:
                used[partner] = used_bytes(entry["path"])
        except (OSError, ValueError) as error:
            log(f"quota of {partner}: cannot read {entry.get('path') or entry.get('s3_user')}: {error}")
            failed += 1
    write_atomic(os.path.join(metrics_dir, TEXTFILE), render(plan, used))
    for partner, size in used.items():
        quota = plan["partners"][partner].get("quota_bytes")
        log(f"{partner}: {size} bytes" + (f" of {quota} ({size / quota:.0%})" if quota else " (no quota)"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
