"""``ikzops secrets recovery-key`` and ``ikzops secrets recover --from SITE``.

The recovery key seals the secret store that every deploy deposits on every repository
host (``deploys/sealed_store``); with its sheet, a new control host gets the whole store
back from any site that survived.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from pathlib import Path

from ikzops import execute
from ikzops.errors import ConfigError, UnreachableError
from ikzops.model import loader
from ikzops.runners.ssh import connect
from ikzops.secrets import sealed
from ikzops.secrets.store import SecretStore
from ikzops.state import write_secret


def recovery_key(inventory: str, *, force: bool = False) -> str:
    """A new recovery key: its public part into the store, the sheet's text returned (only)."""

    p = loader.load(inventory)
    store = SecretStore(p.name)
    public = store.path(sealed.PUBLIC_NAME)
    if public.exists() and not force:
        raise ConfigError("a recovery key exists already; its sheet opens every deposit",
                          hint="--force makes a new one (deposits change at the next deploy; the old sheet opens only "
                               "the old deposits: destroy it once the new one is in the safes)")
    text, raw = sealed.new_key()
    write_secret(public, raw)
    return text


def recover(inventory: str, *, from_site: str, key_text: str, force: bool = False) -> tuple[Path, list[str], str]:
    """The store from ``from_site``'s deposit into this control host's store; (where, files, host)."""

    p = loader.load(inventory)
    if from_site not in p.sites:
        raise ConfigError(f"--from {from_site}: no site {from_site!r} (sites: {', '.join(p.sites)})")
    private = sealed.parse_sheet(key_text)
    store = SecretStore(p.name)
    if store.root.exists() and any(f.is_file() for f in store.root.rglob("*")) and not force:
        raise ConfigError(f"the secret store {store.root} is not empty: nothing was changed",
                          hint="--force replaces it with the deposit (its files are kept in <store>.before-recover)")
    errors = []
    for host in p.hosts_with("repository", site=from_site):
        try:
            with connect(host) as machine:
                done = execute.run_remote_shell(machine, f"base64 -w0 {sealed.deposit_path(p.name)}", "read the deposit")
        except UnreachableError as exc:
            errors.append(f"{host.name}: {exc.message}")
            continue
        if done.returncode != 0:
            errors.append(f"{host.name}: no deposit ({done.stderr.strip()[-200:]}); has a deploy run with a recovery key?")
            continue
        plain = sealed.unseal(base64.b64decode(done.stdout.strip()), private)
        with tempfile.TemporaryDirectory(dir=store.root.parent if store.root.parent.exists() else None) as tmp:
            names = sealed.extract(plain, Path(tmp) / "store")
            if store.root.exists():
                aside = store.root.with_name(store.root.name + ".before-recover")
                shutil.rmtree(aside, ignore_errors=True)
                store.root.rename(aside)
            store.root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.move(str(Path(tmp) / "store"), store.root)
        return store.root, names, host.name
    if errors and all("cannot reach" in e or "unreachable" in e.lower() for e in errors):
        raise UnreachableError(f"no repository host of {from_site} answers: " + "; ".join(errors))
    raise ConfigError(f"no deposit to recover at {from_site}: " + "; ".join(errors))
