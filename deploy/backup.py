"""Cross-site backup: rest-servers on repository hosts, jobs on clients: `pyinfra INV deploy/backup.py`."""

from ikzops.deploys.backup import backup_clients, repository_server

repository_server()
backup_clients()
