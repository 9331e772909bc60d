"""Everything ikzops deploys: `pyinfra INV deploy/site.py` (or `ikzops deploy -i INV`)."""

from ikzops.deploys.agent import agent
from ikzops.deploys.firewall import firewall_per_role
from ikzops.deploys.jobs import backup_jobs
from ikzops.deploys.monitoring import monitor, node_exporter
from ikzops.deploys.repository import bucket_maintenance, repository_volume, rest_server, retention, verify_and_drills
from ikzops.deploys.san import san_targets
from ikzops.deploys.sealed_store import sealed_store
from ikzops.deploys.standby import standby

san_targets()
repository_volume()
agent()
rest_server()
bucket_maintenance()
retention()
verify_and_drills()
backup_jobs()
standby()
node_exporter()
monitor()
firewall_per_role()  # after every service it admits
sealed_store()  # last: it seals what the deploy created
