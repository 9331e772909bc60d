"""The container lab: two partner sites on this machine.

`ikzops lab up` reads this very file to decide which containers to start (one per
host, at the address given here, on one docker network), so the lab and its
inventory never disagree. Connection settings (the lab's SSH key and pinned
known_hosts) and the partnership data live in group_data/lab.py.

Groups named like a site in ``ikz_sites`` say where a host stands; groups named like
a role (storage, repository, client, monitor) say what it does.
"""

# site "city": the city's IT service
city = [
    ("city-san", {
        "ssh_hostname": "172.30.77.11",
        # file-backed pool for the shared SAN's LUNs (the lab kernel has no device-mapper)
        "ikz_pools": {"san": {"backing": "file", "path": "/srv/ikzops/san", "size": "2G"}},
        "ikz_repository": {
            "path": "/srv/ikzops/repositories",
            # each partner's quota here; room for the 1 GiB benchmarks beside the lab's own jobs
            "size": "32G",
            "reserve": {"city": "16G", "district": "16G"},
        },
    }),
    ("city-app", {"ssh_hostname": "172.30.77.12", "ikz_standby": "district-app"}),
    ("city-mon", {"ssh_hostname": "172.30.77.13"}),
]

# site "district": the neighbouring district's IT
district = [
    ("district-san", {
        "ssh_hostname": "172.30.77.21",
        "ikz_pools": {"san": {"backing": "file", "path": "/srv/ikzops/san", "size": "2G"}},
        "ikz_repository": {
            "path": "/srv/ikzops/repositories",
            # each partner's quota here; room for the 1 GiB benchmarks beside the lab's own jobs
            "size": "32G",
            "reserve": {"city": "16G", "district": "16G"},
        },
    }),
    ("district-app", {"ssh_hostname": "172.30.77.22", "ikz_standby": "city-app"}),
    ("district-mon", {"ssh_hostname": "172.30.77.23"}),
]

storage = ["city-san", "district-san"]
repository = ["city-san", "district-san"]
client = ["city-app", "district-app"]
monitor = ["city-mon", "district-mon"]
