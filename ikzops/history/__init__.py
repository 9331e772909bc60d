"""The control host's side of the history (the chain format itself lives in ``agent/history.py``).

``log`` keeps the control host's copy of every stream; ``copies`` compares and merges the
copies kept on clients and repository hosts (pure); ``records`` reads them for reports.
"""
