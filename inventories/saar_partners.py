"""Example: the two reference partners, a city's IT service and the district next door.

A sketch of production: the state capital's municipal IT (site ``sb``) and the
Saarpfalz district (site ``spk``) share one SAN and back up each other's data centre.
Addresses are from the documentation range; replace them with yours. Partnership
data is in group_data/saar_partners.py.
"""

sb = [
    ("sb-san1.it.example", {
        "ssh_hostname": "192.0.2.10",
        "ikz_pools": {
            "ssd": {"backing": "lvm", "vg": "vg_san_ssd", "size": "20T"},
        },
    }),
    ("sb-backup1.it.example", {
        "ssh_hostname": "192.0.2.11",
        "ikz_repository": {
            "path": "/srv/ikzops/repositories",
            "size": "60T",
            "reserve": {"sb": "30T", "spk": "25T"},
        },
    }),
    ("sb-wohngeld.it.example", {
        "ssh_hostname": "192.0.2.20",
        # its own service, besides what ikzops needs: the housing-benefit application
        "ikz_firewall_allow": [{"port": 443, "from": ["any"], "comment": "Wohngeld web application"}],
    }),
    ("sb-files.it.example", {
        "ssh_hostname": "192.0.2.21",
        "ikz_firewall_allow": [{"port": 445, "from": ["192.0.2.0/24", "198.51.100.0/24"], "comment": "SMB shares"}],
    }),
    ("sb-mon1.it.example", {"ssh_hostname": "192.0.2.30"}),
]

spk = [
    ("spk-san1.it.example", {
        "ssh_hostname": "198.51.100.10",
        "ikz_pools": {
            "ssd": {"backing": "lvm", "vg": "vg_san_ssd", "size": "20T"},
        },
    }),
    ("spk-backup1.it.example", {
        "ssh_hostname": "198.51.100.11",
        "ikz_repository": {
            "path": "/srv/ikzops/repositories",
            "size": "60T",
            "reserve": {"sb": "30T", "spk": "25T"},
        },
    }),
    ("spk-hotline.it.example", {"ssh_hostname": "198.51.100.20"}),
    ("spk-mon1.it.example", {"ssh_hostname": "198.51.100.30"}),
]

storage = ["sb-san1.it.example", "spk-san1.it.example"]
repository = ["sb-backup1.it.example", "spk-backup1.it.example"]
client = ["sb-wohngeld.it.example", "sb-files.it.example", "spk-hotline.it.example"]
monitor = ["sb-mon1.it.example", "spk-mon1.it.example"]
