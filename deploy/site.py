"""Everything ikzops deploys: `pyinfra INV deploy/site.py` (or `ikzops deploy -i INV`)."""

from ikzops.deploys.storage import storage_targets

storage_targets()
