# inventories/group_data/example.py — the partnership data of inventories/example.py
ikz_partnership = "example"
ikz_sites = {
    "city": {"partner": "City IT service"},
    "district": {"partner": "District IT"},
}
ikz_jobs = {
    "city-db": {
        "client": "city-app",
        "paths": ["/var/backups/ikzops/postgresql"],
        "schedule": "*-*-* *:00/30:00",   # systemd OnCalendar (subset, see below)
        "rpo": "1h", "rto": "4h",
        "retention": {"keep_daily": 14, "keep_weekly": 8, "keep_monthly": 12},
        "destinations": ["district"],     # partner sites; the own site is always one
        "hooks": {"postgresql": {"databases": ["wohngeld"]}},
    },
    "district-files": {                   # every other setting at its default
        "client": "district-app", "paths": ["/srv/shares"], "rpo": "2h", "rto": "8h",
        "destinations": ["city"],
    },
}
ikz_luns = {
    "city-vmstore": {"partner": "city", "host": "city-san", "pool": "ssd", "size": "8T",
                     "initiators": ["iqn.2026-11.de.example.city:esx01"]},
}
ikz_jobs["city-vmstore"] = {              # the LUN's contents: an LVM snapshot imaged nightly
    "luns": ["city-vmstore"], "schedule": "daily", "rpo": "26h", "rto": "12h",
    "destinations": ["district"],
}
