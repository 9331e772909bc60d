"""Cross-site backup: rest-servers on repository hosts, jobs on clients: `pyinfra INV deploy/backup.py`."""

from ikzops.deploys.agent import agent
from ikzops.deploys.jobs import backup_jobs
from ikzops.deploys.repository import bucket_maintenance, rest_server, retention, verify_and_drills
from ikzops.deploys.sealed_store import sealed_store
from ikzops.deploys.standby import standby

agent()
rest_server()
bucket_maintenance()
retention()
verify_and_drills()
backup_jobs()
standby()
sealed_store()  # last: it seals what the deploy created
