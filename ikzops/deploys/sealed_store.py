"""The secret store, sealed to the recovery key, deposited on every repository host.

So that losing the control host (with its site) loses nothing: any surviving site holds
the whole store, which only the recovery sheet opens (``ikzops secrets recover``). Last
in the deploy files: it seals what the deploy has just created. Deterministic sealing keeps
a deploy that changed nothing from changing the deposit.
"""

from __future__ import annotations

from io import BytesIO

from pyinfra import host
from pyinfra.api import deploy

from ikzops.deploys.context import partnership
from ikzops.operations.files import directory, put
from ikzops.secrets import catalog, sealed
from ikzops.secrets.store import SecretStore


@deploy("ikzops: sealed secret store")
def sealed_store() -> None:
    if "repository" not in host.groups:
        return
    p = partnership()
    store = SecretStore(p.name)
    public = store.path(sealed.PUBLIC_NAME)
    if not public.exists():
        host.noop("secret store NOT deposited: no recovery key yet (`ikzops secrets recovery-key -i INV`)")
        return
    catalog.materialize(p, store)
    blob = sealed.seal(sealed.archive(store.root), public.read_bytes())
    directory(name="sealed secret stores directory", path=sealed.DEPOSIT_DIR, user="root", group="root", mode="0700")
    put(name=f"sealed secret store of {p.name}", src=BytesIO(blob), dest=sealed.deposit_path(p.name),
        user="root", group="root", mode="0600")
