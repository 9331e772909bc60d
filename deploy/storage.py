"""The shared SAN's per-partner iSCSI targets and the repository volumes: `pyinfra INV deploy/storage.py`."""

from ikzops.deploys.repository import repository_volume
from ikzops.deploys.san import san_targets

san_targets()
repository_volume()
