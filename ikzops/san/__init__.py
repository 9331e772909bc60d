"""The shared SAN, derived from the model (pure): per-partner iSCSI targets and their LUNs."""
