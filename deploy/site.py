"""Everything ikzops deploys: `pyinfra INV deploy/site.py` (or `ikzops deploy -i INV`)."""

from ikzops.deploys.backup import backup_clients, repository_server
from ikzops.deploys.monitoring import monitor, node_exporter
from ikzops.deploys.storage import repository_volumes, storage_targets

storage_targets()
repository_volumes()
repository_server()
backup_clients()
node_exporter()
monitor()
