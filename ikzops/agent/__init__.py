"""Code that runs on managed hosts, uploaded there by the deploys.

Standard library only, relative imports only: on a host it lives in
``/usr/local/lib/ikzops/ikzops_agent/`` and runs as ``python3 -m ikzops_agent.<module>``;
on the control host the same modules are ``ikzops.agent.<module>``.
"""
