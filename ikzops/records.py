"""Records an auditor can file: each drill, restore and recovery as JSON (stable, versioned) and
Markdown, in ``<state folder>/reports/<partnership>/<kind>/`` (drills: or a folder given), and
as a record of the partnership's tamper-evident history (:mod:`ikzops.history.log`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from ikzops import templates
from ikzops.history import log
from ikzops.state import state_root, write_file

JSON_VERSION = 1
KINDS = ("drills", "restores")
#: the name of one record of each kind (its ``kind`` field and its Markdown template)
ONE = {"drills": "drill", "restores": "restore", "recoveries": "recovery"}


def folder(partnership: str, kind: str, override: str | None = None) -> Path:
    return Path(override) if override else state_root() / "reports" / partnership / kind


def write(record, kind: str, name: str, partnership: str, override: str | None = None) -> Path:
    """``<name>.json`` and ``<name>.md`` (template ``reports/<one record's kind>.md.j2``) in the
    kind's folder, and the record in the history; the .md path."""

    base = folder(partnership, kind, override) / name
    document = {"version": JSON_VERSION, "kind": ONE[kind], **asdict(record)}
    write_file(base.with_suffix(".json"), json.dumps(document, indent=2) + "\n")
    write_file(base.with_suffix(".md"), templates.render(f"reports/{ONE[kind]}.md.j2", d=record))
    log.append(partnership, ONE[kind], document)
    return base.with_suffix(".md")


def history(partnership: str, kinds: tuple[str, ...] = KINDS, override: str | None = None) -> list[dict]:
    """Every record of ``kinds``, oldest first."""

    entries = []
    for kind in kinds:
        where = folder(partnership, kind, override if kind == "drills" else None)
        for path in sorted(where.glob("*.json")) if where.exists() else []:
            try:
                entry = json.loads(path.read_text())
            except ValueError:
                continue
            entry.setdefault("kind", ONE[kind])
            entries.append(entry)
    return sorted(entries, key=lambda e: e.get("started", ""))
