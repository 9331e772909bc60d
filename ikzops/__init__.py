"""ikzops: shared SAN, mutual cross-site backup, verification and restore drills."""

__version__ = "0.1.0"
