"""The shared SAN's per-partner iSCSI targets: `pyinfra INV deploy/storage.py`."""

from ikzops.deploys.storage import storage_targets

storage_targets()
