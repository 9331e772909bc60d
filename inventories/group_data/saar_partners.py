"""Partnership data of the example inventory inventories/saar_partners.py."""

ssh_user = "ikzops"
_sudo = True

ikz_partnership = "saar"

ikz_sites = {
    "sb": {"partner": "Landeshauptstadt Saarbrücken, municipal IT", "description": "city data centre",
           "contact": "IT-Betrieb, Datensicherung (backup@sb.example)"},
    "spk": {"partner": "Saarpfalz-Kreis, district IT", "description": "district data centre",
            "contact": "Rechenzentrum, Team Speicher (backup@spk.example)"},
}

ikz_jobs = {
    # the housing-benefit system the city runs for both partners
    "wohngeld-db": {
        "client": "sb-wohngeld.it.example",
        "paths": ["/etc/postgresql"],
        "schedule": "*-*-* *:00/30:00",
        "rpo": "1h",
        "rto": "4h",
        "retention": {"keep_daily": 14, "keep_weekly": 8, "keep_monthly": 12},
        "destinations": ["spk"],
        "hooks": {"postgresql": {"databases": ["wohngeld"]}},
    },
    "sb-fileserver": {
        "client": "sb-files.it.example",
        "paths": ["/srv/shares"],
        "exclude": ["*.tmp", "/srv/shares/scratch"],
        "schedule": "*-*-* 00/4:15:00",
        "rpo": "6h",
        "rto": "8h",
        "destinations": ["spk"],
    },
    # the public service hotline the district runs for both partners
    "spk-hotline": {
        "client": "spk-hotline.it.example",
        "paths": ["/srv/hotline", "/etc/hotline"],
        "schedule": "hourly",
        "rpo": "2h",
        "rto": "4h",
        "destinations": ["sb"],
    },
}

ikz_luns = {
    "sb-vmstore": {
        "partner": "sb", "host": "sb-san1.it.example", "pool": "ssd", "size": "8T",
        "initiators": ["iqn.2026-11.de.saarbruecken.it:esx01", "iqn.2026-11.de.saarbruecken.it:esx02"],
        "initiator_addresses": ["192.0.2.40", "192.0.2.41"],   # the ESXi hosts' iSCSI addresses
    },
    "spk-vmstore": {
        "partner": "spk", "host": "sb-san1.it.example", "pool": "ssd", "size": "6T",
        "initiators": ["iqn.2026-11.de.saarpfalz-kreis.it:esx01"],
        "initiator_addresses": ["198.51.100.40"],
    },
    "spk-vmstore-mirror": {
        "partner": "spk", "host": "spk-san1.it.example", "pool": "ssd", "size": "6T",
        "initiators": ["iqn.2026-11.de.saarpfalz-kreis.it:esx01"],
        "initiator_addresses": ["198.51.100.40"],
    },
}

# a firewall per role: every host accepts only what its roles need (`ikzops firewall show`
# prints each ruleset); ikzops runs from the two admin workstations' network
ikz_firewall = {"control": ["192.0.2.128/28"], "rollback_after": "3m"}
