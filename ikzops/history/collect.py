"""Collect every stream to the control host, keep a copy of all of them on every repository
host, and prove the chains and the copies (``ikzops history collect|verify``).

One SSH command per host and step: ``dump`` reads a host's streams, ``store`` extends its
copy (the agent's ``history`` module; copies only grow, an altered one is kept as evidence).
A host that cannot be reached is reported; everything else is still collected and checked.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ikzops import execute, layout
from ikzops.agent import history
from ikzops.errors import ExitCode, IkzopsError, worst
from ikzops.execute import Command
from ikzops.history import log
from ikzops.history.copies import Finding, Merged, merge, stream_of_origin
from ikzops.model.partnership import Host, Partnership
from ikzops.runners.ssh import connect
from ikzops.state import write_file

GIVEN = ".given.json"


def copies_folder(p: Partnership) -> str:
    return f"{history.COPIES_DIR}/{p.name}"


@dataclass
class Survey:
    partnership: str
    merged: dict[str, Merged] = field(default_factory=dict)
    #: host: why it could not be read
    unreachable: dict[str, str] = field(default_factory=dict)
    #: the repository hosts whose copy was read
    repositories: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: repository hosts whose copy is empty (new or rebuilt): no finding, the next collect fills them
    rebuilt: list[str] = field(default_factory=list)
    #: {stream: {repository host: lines}} as read
    copies: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def exit_code(self) -> ExitCode:
        return worst([ExitCode.FINDING] * bool(self.findings) + [ExitCode.UNREACHABLE] * bool(self.unreachable))

    def as_json(self) -> dict:
        return {
            "version": 1, "partnership": self.partnership, "exit_code": int(self.exit_code),
            "streams": {name: {"records": len(m.lines), "new": m.new} for name, m in sorted(self.merged.items())},
            "repository_hosts": self.repositories, "unreachable": self.unreachable,
            "findings": [{"stream": f.stream, "where": f.where, "record": f.line, "problem": f.problem}
                         for f in self.findings],
        }


def _run(host: Host, *args: str, stdin: str | None = None) -> execute.Result:
    with connect(host) as machine:
        return execute.run_remote(machine, Command(layout.agent_argv("history", *args), stdin=stdin,
                                                   purpose=f"history {args[0]} on {host.name}"),
                                  check=False)


def _dump(host: Host, folder: str, held: dict[str, list[str]]) -> dict[str, list[str]]:
    """``{stream: lines}`` of ``folder`` on ``host``; only what is new travels: the lines the
    control host already holds (``held``, by the host's names of its streams) are taken from it."""

    known = {name: [len(lines), history.digest(lines[-1])] for name, lines in held.items() if lines}
    result = _run(host, "dump", folder, stdin=json.dumps(known))
    if result.returncode != 0:
        raise IkzopsError(f"reading the history on {host.name} failed: {result.stderr.strip()[-300:]}")
    try:
        parts = json.loads(result.stdout or "{}")
        return {name: held.get(name, [])[: part["from"]] + part["lines"] for name, part in parts.items()}
    except (ValueError, KeyError, TypeError):
        raise IkzopsError(f"the history on {host.name} answered with something unreadable") from None


def _newest(streams: dict[str, list[str]], prefix: str) -> list[str]:
    """Of the control host's chains of a client's stream, the one last written (a guess the
    client proves or refutes: it sends the whole stream when the guess is wrong)."""

    def last(lines: list[str]) -> str:
        try:
            return json.loads(lines[-1]).get("started", "")
        except (ValueError, IndexError):
            return ""

    chains = [lines for name, lines in streams.items() if name.startswith(prefix + "-") and lines]
    return max(chains, key=last, default=[])


def _given(p: Partnership) -> dict[str, dict[str, int]]:
    path = log.folder(p.name) / GIVEN
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def survey(p: Partnership) -> Survey:
    """Read every copy of every stream (nothing is written) and merge them."""

    found = Survey(p.name)
    control = log.streams(p.name)
    clients = sorted({job.client for job in p.jobs.values()})
    repositories = [h.name for h in p.hosts_with("repository")]
    reads = [(name, history.RUNS_DIR) for name in clients] + [(name, copies_folder(p)) for name in repositories]

    def read(task):
        name, folder = task
        if folder == history.RUNS_DIR:
            held = {f"backup-{job.name}": _newest(control, f"backup-{job.name}") for job in p.jobs_of_client(name)}
        else:
            held = control
        try:
            return name, folder, _dump(p.hosts[name], folder, held)
        except IkzopsError as exc:
            found.unreachable[name] = exc.message
            return name, folder, None

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(read, reads))
    origins: dict[str, tuple[str, list[str]]] = {}
    copies: dict[str, dict[str, list[str]]] = {}
    for name, folder, streams in results:
        if streams is None:
            continue
        if folder == history.RUNS_DIR:
            for job_stream, lines in streams.items():
                stream = stream_of_origin(job_stream, lines)
                if stream:
                    origins[stream] = (name, lines)
                elif lines:
                    found.findings.append(Finding(job_stream, name, 1, "the first record is unreadable"))
        elif not streams:
            found.rebuilt.append(name)  # an empty copy: a new or rebuilt host, filled by the next collect
            found.repositories.append(name)
        else:
            found.repositories.append(name)
            for stream, lines in streams.items():
                copies.setdefault(stream, {})[name] = lines
    found.copies = copies
    given = _given(p)
    for stream in sorted(set(control) | set(origins) | set(copies)):
        held_by = {host: given.get(host, {}).get(stream, 0) for host in repositories if host not in found.rebuilt}
        held = {host: copies.get(stream, {}).get(host, []) for host in found.repositories}
        merged = merge(stream, control.get(stream, []), origins.get(stream), held, held_by)
        found.merged[stream] = merged
        found.findings += merged.findings
    return found


def collect(p: Partnership) -> Survey:
    """Bring every new record to the control host and every repository host's copy up to date."""

    found = survey(p)
    for stream, merged in found.merged.items():
        if merged.new:
            log.save(p.name, stream, merged.lines)
    control = log.streams(p.name)
    given = _given(p)
    for name in found.repositories:
        parts, agreeing = {}, []
        for stream, lines in control.items():
            copy = found.copies.get(stream, {}).get(name, [])
            if copy != lines[: len(copy)]:
                continue  # altered: a finding already, and left as it is
            agreeing.append(stream)
            if len(lines) > len(copy):
                parts[stream] = {"from": len(copy), "after": history.digest(copy[-1]) if copy else "",
                                 "lines": lines[len(copy):]}
        differing: list[str] = []
        if parts:
            try:
                result = _run(p.hosts[name], "store", copies_folder(p), stdin=json.dumps(parts))
                differing = json.loads(result.stdout or "{}").get("differing", [])
            except (IkzopsError, ValueError) as exc:
                found.unreachable[name] = getattr(exc, "message", str(exc))
                continue
        for stream in differing:
            found.findings.append(Finding(stream, name, None, "its copy changed while it was collected; left as it is"))
        given[name] = {**given.get(name, {}),
                       **{stream: len(control[stream]) for stream in agreeing if stream not in differing}}
    write_file(log.folder(p.name) / GIVEN, json.dumps(given, indent=1, sort_keys=True))
    return found

