# inventories/example.py — the smallest partnership, two sites relying on the model's defaults
city = [
    ("city-san", {"ssh_hostname": "192.0.2.10",
                  "ikz_pools": {"ssd": {"backing": "lvm", "vg": "vg_san", "size": "20T"}},
                  "ikz_repository": {"size": "60T", "reserve": {"city": "30T", "district": "25T"}}}),
    ("city-app", {"ssh_hostname": "192.0.2.20"}),
]
district = [
    ("district-san", {"ssh_hostname": "198.51.100.10", "ikz_repository": {}}),
    ("district-app", {"ssh_hostname": "198.51.100.20"}),
]
storage = ["city-san"]
repository = ["city-san", "district-san"]
client = ["city-app", "district-app"]
