"""The shared SAN's per-partner iSCSI targets and the repository volumes: `pyinfra INV deploy/storage.py`."""

from ikzops.deploys.storage import repository_volumes, storage_targets

storage_targets()
repository_volumes()
