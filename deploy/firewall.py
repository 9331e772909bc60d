"""The firewall per role (ikz_firewall) on every host: `pyinfra INV deploy/firewall.py`."""

from ikzops.deploys.agent import agent
from ikzops.deploys.firewall import firewall_per_role

agent()
firewall_per_role()
