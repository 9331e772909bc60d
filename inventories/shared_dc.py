"""The lab of many: the state's shared data centre beside two municipal data centres.

`ikzops lab up -i inventories/shared_dc.py` starts it beside the default lab (its own
network, 172.30.78.0/24). Four partners on three sites: the city and the district each
run a data centre, the state runs the shared one (site ``shared``), and a small town
without a data centre is its tenant: the town's client stands in the shared data centre
and its administrators are the town's (``ikz_admin``), its backups are the town's
(``owner``). The shared data centre keeps its repositories as buckets on Ceph's S3
gateway (RGW), each partner's reservation there enforced as its RGW user's quota; at the
city, which runs rest-servers, the town reserves nothing and shares what the city left
unreserved, enforced by a rest-server of its own. Partners and trust are in
group_data/shared_dc.py.
"""

city = [
    ("city-srv", {
        "ssh_hostname": "172.30.78.11",
        # the town reserves nothing at the city: it shares what the city left unreserved (2G)
        "ikz_repository": {"path": "/srv/ikzops/repositories", "size": "4G", "reserve": {"city": "2G"}},
    }),
]

district = [
    ("district-srv", {
        "ssh_hostname": "172.30.78.21",
        "ikz_repository": {"path": "/srv/ikzops/repositories", "size": "4G", "reserve": {"district": "2G"}},
    }),
]

# the state's shared data centre: its repositories are buckets of its Ceph cluster's S3
# gateway (in the lab a single-node Ceph on state-repo itself, which `lab up` starts);
# each partner's reservation is its RGW user's quota there
shared = [
    ("state-repo", {
        "ssh_hostname": "172.30.78.31",
        "ikz_repository": {"size": "6G", "reserve": {"city": "2G", "district": "2G", "town": "1G"},
                           "s3": {"endpoint": "https://172.30.78.31:7480", "object_lock": "1d"}},
    }),
    # the town's server, a tenant in the shared data centre, run by the town's own staff
    ("town-app", {"ssh_hostname": "172.30.78.32", "ikz_admin": "town"}),
]

repository = ["city-srv", "district-srv", "state-repo"]
client = ["city-srv", "district-srv", "town-app"]
monitor = ["state-repo"]
