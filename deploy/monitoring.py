"""Monitoring: node_exporter on every host, Prometheus + Alertmanager on monitors: `pyinfra INV deploy/monitoring.py`."""

from ikzops.deploys.agent import agent
from ikzops.deploys.monitoring import monitor, node_exporter

agent()
node_exporter()
monitor()
