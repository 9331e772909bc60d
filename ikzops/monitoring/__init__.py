"""Monitoring, computed on the control host: the values of the Prometheus and Alertmanager
configs (config.py), the metrics verify and drill publish (metrics.py), and how a textfile
reaches a host's node_exporter (textfile.py)."""
