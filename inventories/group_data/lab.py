"""Data for every host of inventories/lab.py (pyinfra applies group_data/<inventory>.py to all its hosts)."""

import os
from pathlib import Path

# --- how to reach the lab: root over SSH with the key and host keys `ikzops lab up` wrote
ssh_user = "root"
ssh_key = str(Path(os.environ.get("IKZOPS_STATE_DIR", Path(__file__).resolve().parents[2] / ".state")) / "lab" / "id_ed25519")
ssh_known_hosts_file = str(Path(ssh_key).parent / "known_hosts")
ssh_strict_host_key_checking = "yes"
ssh_look_for_keys = False
ssh_allow_agent = False

# --- the partnership
ikz_partnership = "lab"

ikz_sites = {
    "city": {"partner": "City IT service (lab)", "description": "the city's data centre",
             "contact": "City IT operations, backup duty (lab)"},
    "district": {"partner": "District IT (lab)", "description": "the district's data centre",
                 "contact": "District IT, data centre team (lab)"},
}

# the cost shares' rates (ikzops usage): per TB-month, a month is 30 days
ikz_costs = {"currency": "EUR", "repository_per_tb_month": 25.0, "lun_per_tb_month": 40.0}

ikz_jobs = {
    "city-files": {
        "client": "city-app",
        "paths": ["/srv/data"],
        "schedule": "*-*-* *:00/15:00",
        "rpo": "1h",
        "rto": "30m",
        # keep_within 1s: the lab's retention tests need runs outside the window (the
        # default, 7 days, is the one district-files has and the flood test proves)
        "retention": {"keep_last": 4, "keep_daily": 7, "keep_weekly": 4, "keep_monthly": 6, "keep_within": "1s"},
        "destinations": ["district"],
        # the lab gives up on a gone destination quickly, so fault tests end in seconds
        "give_up_after": "15s",
    },
    "city-db": {
        "client": "city-app",
        "paths": ["/etc/postgresql"],
        "schedule": "hourly",
        "rpo": "2h",
        "rto": "1h",
        "destinations": ["district"],
        "give_up_after": "15s",
        "hooks": {"postgresql": {"databases": ["housing"]}},
    },
    "district-files": {
        "client": "district-app",
        "paths": ["/srv/data"],
        "schedule": "*-*-* *:00/15:00",
        "rpo": "1h",
        "rto": "30m",
        "destinations": ["city"],
        "give_up_after": "15s",
    },
    # the SAN's contents: every LUN of city-san's pool (the city's and the district's file
    # servers) imaged on city-san, to both sites ...
    "city-san-luns": {
        "pool": "city-san/san",
        # hourly: the lab's tests back the LUNs up many times a day, which a daily schedule
        # would call a flood
        "schedule": "hourly",
        "rpo": "2h",
        "rto": "1h",
        "destinations": ["district"],
        "give_up_after": "15s",
    },
    # ... and one LUN by name
    "district-archive-lun": {
        "luns": ["district-archive"],
        "schedule": "hourly",
        "rpo": "2h",
        "rto": "2h",
        "destinations": ["city"],
        "give_up_after": "15s",
    },
}

# the shared SAN: each partner's LUNs, served from both sites' storage hosts
ikz_luns = {
    "city-fileserver": {
        "partner": "city", "host": "city-san", "pool": "san", "size": "256M",
        "initiators": ["iqn.2026-11.lab.ikzops:city-app"],
        "initiator_addresses": ["city-app"],
    },
    "district-fileserver": {
        "partner": "district", "host": "city-san", "pool": "san", "size": "256M",
        "initiators": ["iqn.2026-11.lab.ikzops:district-app"],
        "initiator_addresses": ["district-app"],
    },
    "district-archive": {
        "partner": "district", "host": "district-san", "pool": "san", "size": "512M",
        "initiators": ["iqn.2026-11.lab.ikzops:district-app"],
        "initiator_addresses": ["district-app"],
    },
}

# a firewall per role on every host; ikzops runs on the docker host, the lab network's gateway
ikz_firewall = {"control": ["172.30.77.1"]}

# monitoring: the lab is impatient, production waits ten minutes before paging
ikz_monitoring = {
    "scrape_interval": "5s",
    "evaluation_interval": "5s",
    "alert_for": "15s",
    "receivers": {"webhooks": []},
}
