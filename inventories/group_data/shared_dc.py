"""Data for every host of inventories/shared_dc.py: the lab of many (partners apart from sites)."""

import os
from pathlib import Path

# --- how to reach the lab: root over SSH with the key and host keys `ikzops lab up` wrote
ssh_user = "root"
ssh_key = str(Path(os.environ.get("IKZOPS_STATE_DIR", Path(__file__).resolve().parents[2] / ".state")) / "lab" / "id_ed25519")
ssh_known_hosts_file = str(Path(ssh_key).parent / "known_hosts")
ssh_strict_host_key_checking = "yes"
ssh_look_for_keys = False
ssh_allow_agent = False

ikz_partnership = "shared-dc"

# organisations apart from buildings; the order gives each partner's rest-server port
# (8000, 8001, ...): add new partners at the end
ikz_partners = {
    "city": {"name": "City IT service (lab of many)", "contact": "City IT, backup duty (lab)",
             "trust": ["district", "state"]},
    "district": {"name": "District IT (lab of many)", "contact": "District IT (lab)", "trust": ["city", "state"]},
    "state": {"name": "State shared data centre (lab)", "contact": "Shared data centre operations (lab)"},
    # a tenant: it runs no site; its key may lie with the city, not with the shared data
    # centre: its bucket there is maintained (retention, verify, drills) from its own server
    "town": {"name": "Small town (tenant of the shared data centre)", "contact": "Town hall IT (lab)",
             "trust": ["city"], "maintenance": "town-app"},
}

ikz_sites = {
    "city": {"partner": "city", "description": "the city's data centre", "contact": "City IT (lab)"},
    "district": {"partner": "district", "description": "the district's data centre", "contact": "District IT (lab)"},
    "shared": {"partner": "state", "description": "the state's shared data centre",
               "contact": "Shared data centre operations (lab)"},
}

ikz_costs = {"currency": "EUR", "repository_per_tb_month": 20.0}

ikz_jobs = {
    "city-files": {
        "client": "city-srv", "paths": ["/etc"], "schedule": "hourly", "rpo": "2h", "rto": "1h",
        "destinations": ["shared"], "give_up_after": "15s",
    },
    "district-files": {
        "client": "district-srv", "paths": ["/etc"], "schedule": "hourly", "rpo": "2h", "rto": "1h",
        "destinations": ["shared"], "give_up_after": "15s",
    },
    # the tenant's data: at the shared data centre, where its server stands, and at the city
    "town-files": {
        "client": "town-app", "owner": "town", "paths": ["/etc"], "schedule": "hourly", "rpo": "2h", "rto": "1h",
        "destinations": ["city"], "give_up_after": "15s",
    },
}

ikz_firewall = {"control": ["172.30.78.1"]}

ikz_monitoring = {
    "scrape_interval": "5s",
    "evaluation_interval": "5s",
    "alert_for": "15s",
    "receivers": {"webhooks": []},
}
