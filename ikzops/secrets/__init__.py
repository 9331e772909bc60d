"""Secrets of a partnership, generated and kept on the control host (never in git, files 0600).

* :mod:`.store` - the secret store: one file per secret;
* :mod:`.credentials` - REST credentials per client, repository passwords per job;
* :mod:`.pki` - the partnership's CA and the repository servers' certificates.
"""
