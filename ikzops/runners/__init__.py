"""How the control host runs other programs, each through :mod:`ikzops.execute`:

* :mod:`.ssh` - connections to managed hosts with the inventory's pinned host keys;
* :mod:`.restic` - restic on a managed host (argv from :mod:`ikzops.agent.restic`);
* :mod:`.pyinfra` - the ``pyinfra`` command a deploy is, and its JSON results.
"""
