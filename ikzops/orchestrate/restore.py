"""``ikzops restore``: a job's data (or some paths of it, or a database) onto any host, proven.

The data never needs the job's home site: it comes from whichever site holds the run
(own site first when it answers). That site's repository host serves the job's repository
read-only for this restore alone (``runners/restore_server``: a transient rest-server, a
throwaway credential, ended with the restore's SSH session), and ``restic restore`` on the
target reads the run from it into ``.ikzops-restore-<id>`` staging directories, the agent
hashing every file as restic completes it (``agent/restore_tree.py fetch``). The credential
and the repository password reach the target only through the SSH session's standard
input. A target that cannot do that gets the data relayed instead: ``restic dump`` on the
repository host streams through SSH, between two ``ssh`` processes on the control host,
into the agent (no secret reaches the target at all); databases always go that way.

Then every restored file is compared with the manifest recorded at backup time (sha256,
size, mode); a mismatch stops the restore before anything is placed (exit 1). Only then
are the staged files moved to their places: below DIR (``--to HOST:DIR``), or at their
original paths (``--to HOST``), where an existing file that differs is replaced only with
``--overwrite`` (else nothing is placed, exit 2). A database is loaded into the target's
live PostgreSQL as a new database, its rows compared with the counts of dump time.
Every restore leaves a record beside the drills'.
"""

from __future__ import annotations

import getpass
import json
import posixpath
import secrets
import shlex
import socket
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from ikzops import execute, layout, records, templates
from ikzops.agent import restic
from ikzops.agent.manifest import parse_line
from ikzops.agent.postgres import counts_path
from ikzops.agent.restore_tree import MANIFEST
from ikzops.errors import ConfigError, ExitCode, IkzopsError, UnreachableError, worst
from ikzops.execute import Command
from ikzops.model import loader
from ikzops.model.partnership import Host, Job, Partnership
from ikzops.progress import Progress
from ikzops.runners import restic as runner
from ikzops.runners import restore_server, ssh
from ikzops.runners.ssh import connect
from ikzops.san import failover
from ikzops.secrets import credentials
from ikzops.secrets.store import SecretStore

VERDICT_CODES = {"restored": ExitCode.OK, "planned": ExitCode.OK, "mismatch": ExitCode.FINDING, "unreadable": ExitCode.FINDING,
                 "conflict": ExitCode.CONFIG, "failed": ExitCode.CONFIG, "unreachable": ExitCode.UNREACHABLE}


#: restic's words for a server it cannot reach (then the data is relayed instead)
UNREACHABLE_WORDS = ("dial tcp", "connection refused", "no route to host", "i/o timeout", "network is unreachable",
                     "connection reset", "x509:", "certificate")


def _cannot_reach(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in UNREACHABLE_WORDS)


class Unreadable(IkzopsError):
    """restic could not read the run back at the chosen site (a damaged pack, a missing blob)."""

    exit_code = ExitCode.FINDING


@dataclass
class RestoreResult:
    id: str
    job: str
    client: str
    home_site: str
    target_host: str
    #: below this directory; "" for the original paths
    target_dir: str
    operator: str
    started: str
    paths: list[str]
    dry: bool = False
    overwrite: bool = False
    from_site: str = ""
    repository_host: str = ""
    snapshot: str = ""
    run: str = ""
    snapshot_time: str | None = None
    #: restored | planned | mismatch | unreadable (the copy could not be read back) | conflict | failed | unreachable
    verdict: str = "failed"
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    mismatched: int = 0
    mismatches: list[dict] = field(default_factory=list)
    created: int = 0
    replaced: int = 0
    identical: int = 0
    conflicts: list[str] = field(default_factory=list)
    planned: dict = field(default_factory=dict)
    database: dict = field(default_factory=dict)
    #: a LUN's restore: its name, backing file, the target IQN and LUN number serving it
    #: (its own), CHAP user, initiators, and whether tgt serves it (``restore --lun``)
    lun: dict = field(default_factory=dict)
    transfer_seconds: float = 0.0
    #: of the transfer: restic's own time on the target, and hashing left after it ended
    timings: dict = field(default_factory=dict)
    verify_seconds: float = 0.0
    apply_seconds: float = 0.0
    total_seconds: float = 0.0
    throughput_mb_s: float = 0.0
    rto_seconds: float = 0.0
    finished: str = ""

    def fail(self, verdict: str, reason: str) -> None:
        self.verdict = verdict
        self.reasons.append(reason)

    @property
    def exit_code(self) -> ExitCode:
        return VERDICT_CODES[self.verdict]


def _agent(module: str, *args: str) -> Command:
    return Command(layout.agent_argv(module, *args), purpose=f"ikzops_agent.{module} {args[0] if args else ''}")


def parse_target(p: Partnership, to: str) -> tuple[Host, str]:
    """``HOST`` or ``HOST:DIR`` of the inventory; DIR absolute, without ``..``."""

    name, _, directory = to.partition(":")
    if name not in p.hosts:
        raise ConfigError(f"--to {to}: no host {name!r} in the inventory", hint=f"hosts: {', '.join(p.hosts)}")
    if directory:
        if not directory.startswith("/") or ".." in directory.split("/") or "\n" in directory:
            raise ConfigError(f"--to {to}: {directory!r} must be an absolute path without '..'")
        directory = posixpath.normpath(directory)
        if directory == "/":
            directory = ""
    return p.hosts[name], directory


def selected_paths(job: Job, includes: tuple[str, ...], target_dir: str) -> list[str]:
    """What to restore: the ``--include`` paths (inside the job's paths), else the job's paths
    (and, restoring below a directory, the database dumps too)."""

    for path in includes:
        clean = posixpath.normpath(path)
        if not path.startswith("/") or not any(clean == p or clean.startswith(p.rstrip("/") + "/") for p in job.spec.paths):
            raise ConfigError(f"--include {path}: not inside the paths of job {job.name} ({', '.join(job.spec.paths)})")
    if includes:
        return [posixpath.normpath(p) for p in includes]
    paths = list(job.spec.paths)
    if target_dir and job.spec.hooks.postgresql:
        paths.append(f"{layout.DUMP_DIR}/{job.name}")
    return paths


def _resolve(found: runner.Snapshots, wanted: str | None) -> dict | None:
    """``latest`` (the newest not dated in the future), a snapshot id (prefix) or a run id."""

    if not wanted or wanted == "latest":
        return found.newest()
    matches = found.named(wanted)
    return matches[0] if len(matches) == 1 else None


def choose_source(p: Partnership, job: Job, from_site: str | None, wanted: str | None, result: RestoreResult):
    """(site, destination, snapshot) to read from: ``--from``, else the first site holding the
    run that answers, own site first."""

    if from_site and from_site not in job.destinations:
        raise ConfigError(f"job {job.name} has no copy at {from_site!r} (its sites: {', '.join(job.destinations)})")
    unreachable, lacking = [], []
    for site in [from_site] if from_site else list(job.destinations):
        destination = layout.destination(p, job, site)
        try:
            found = runner.snapshots_at(p, job, site)
        except UnreachableError as exc:
            unreachable.append(f"{site}: {exc.message}")
            continue
        if found.error:
            lacking.append(f"{site}: cannot list snapshots: {found.error}")
            continue
        chosen = _resolve(found, wanted)
        if chosen:
            for line in unreachable:
                result.warnings.append(f"skipped {line}")
            return site, destination, chosen
        lacking.append(f"{site}: no run {wanted or 'of this job'}")
    if unreachable and not lacking:
        raise UnreachableError("no site holding the job answers: " + "; ".join(unreachable))
    raise ConfigError(f"cannot restore {job.name}: " + "; ".join(unreachable + lacking),
                      hint="`ikzops snapshots --job ...` lists the runs and where they are")


def _stagings(target_dir: str, paths: list[str], restore_id: str) -> dict[str, str]:
    """Per selected path, its staging directory: below DIR, or beside the path itself (so
    that placing a file is a rename on one filesystem)."""

    name = f".ikzops-restore-{restore_id}"
    if target_dir:
        return {path: f"{target_dir}/{name}" for path in paths}
    return {path: f"{posixpath.dirname(path.rstrip('/')) or '/'}/{name}".replace("//", "/") for path in paths}


#: staging directories no process uses any more (a restore whose connection was cut)
def _sweep(parents: list[str]) -> str:
    quoted = " ".join(shlex.quote(f"{parent.rstrip('/')}/.ikzops-restore-") + "*" for parent in parents)
    return (f"for d in {quoted}; do [ -d \"$d\" ] || continue; "
            "pgrep -f -- \"$d\" >/dev/null || { rm -rf -- \"$d\" && echo \"$d\"; }; done")


def restore(inventory: str, *, job: str, to: str, from_site: str | None = None, snapshot: str | None = None,
            includes: tuple[str, ...] = (), database: str | None = None, as_name: str | None = None,
            overwrite: bool = False, dry: bool = False, progress: Progress,
            keep_record: bool = True) -> tuple[RestoreResult, Path | None]:
    """Restore ``job``'s run onto ``to``; the record is kept unless dry (or ``keep_record`` is
    False: a caller that completes the restore keeps the one record of it)."""

    p = loader.load(inventory)
    chosen_job = p.select_jobs([job])[0]
    target, target_dir = parse_target(p, to)
    if database:
        hook = chosen_job.spec.hooks.postgresql
        if not hook or database not in hook.databases:
            raise ConfigError(f"job {job} dumps no database {database!r}"
                              + (f" (it dumps {', '.join(hook.databases)})" if hook else " (it has no PostgreSQL hook)"))
    now = datetime.now(UTC)
    result = RestoreResult(
        id=f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(2)}", job=chosen_job.name, client=chosen_job.client,
        home_site=chosen_job.site, target_host=target.name, target_dir=target_dir,
        operator=f"{getpass.getuser()}@{socket.gethostname()}", started=now.isoformat(timespec="seconds"),
        paths=[] if database else selected_paths(chosen_job, includes, target_dir), dry=dry, overwrite=overwrite,
        rto_seconds=chosen_job.spec.rto.total_seconds(),
    )
    site, destination, snap = choose_source(p, chosen_job, from_site, snapshot, result)
    result.from_site, result.repository_host = site, destination.host
    result.snapshot, result.run = snap["id"], restic.tag_value(snap, "ikz-run") or ""
    result.snapshot_time = restic.snapshot_time(snap["time"]).isoformat(timespec="seconds")
    clock = time.monotonic()
    try:
        with progress.step(f"restore {chosen_job.name} {result.run or result.snapshot[:8]} from {site} "
                           f"to {target.name}:{target_dir or '(original paths)'}") as step:
            session = Session(p, result, chosen_job, destination, target, progress)
            if database:
                session.restore_database(database, as_name or database, overwrite, dry)
            else:
                session.restore_files(dry)
            step.done(result.verdict, "; ".join(result.reasons))
    except Unreadable as exc:
        result.fail("unreadable", exc.message)
    except IkzopsError as exc:
        result.fail("unreachable" if exc.exit_code == ExitCode.UNREACHABLE else "failed", exc.message)
    except KeyboardInterrupt:
        result.fail("failed", "interrupted: nothing was placed that is not complete; run the same restore again")
        _finish(result, clock)
        records.write(result, "restores", _name(result), p.name)
        raise
    _finish(result, clock)
    path = None if dry or not keep_record else records.write(result, "restores", _name(result), p.name)
    return result, path


def _name(result: RestoreResult) -> str:
    return f"{result.id}-{result.job}-to-{result.target_host}"


def _finish(result: RestoreResult, clock: float) -> None:
    result.total_seconds = round(time.monotonic() - clock, 3)
    if result.transfer_seconds:
        result.throughput_mb_s = round(result.bytes / 1e6 / result.transfer_seconds, 2)
    result.finished = datetime.now(UTC).isoformat(timespec="seconds")


class Session:
    """One restore: the repository host's connection for metadata, the target's for the
    agent's steps, and the SSH streams for the data."""

    def __init__(self, p: Partnership, result: RestoreResult, job: Job, destination: layout.Destination,
                 target: Host, progress: Progress) -> None:
        self.p, self.result, self.job, self.destination, self.target = p, result, job, destination, target
        self.progress = progress
        self.repo = layout.local_repository(job, destination)
        self.repo_host = p.hosts[destination.host]

    # --- on the repository host
    def _restic(self, machine, invocation: restic.Invocation, purpose: str) -> str:
        done = runner.run(machine, invocation, check=False, as_user=layout.REST_SERVER_USER, purpose=purpose)
        if done.returncode != 0:
            raise ConfigError(f"{purpose} at {self.destination.site}: {restic.meaning(done.returncode)}: "
                              f"{restic.error_text(done.stderr)}")
        return done.stdout

    def nodes(self, machine, path: str) -> list[dict]:
        found = restic.parse_ls(self._restic(machine, restic.ls(self.repo, self.result.snapshot, path), f"list {path}"))
        if not found:
            raise ConfigError(f"{path} is not in run {self.result.run or self.result.snapshot[:8]} of {self.job.name}",
                              hint="`ikzops find --job ... NAME` shows in which runs a file was seen")
        return found

    def dump_command(self, path: str, archive: bool) -> Command:
        remote = runner.remote_command(restic.dump(self.repo, self.result.snapshot, path, archive=archive),
                                       as_user=layout.REST_SERVER_USER)
        return ssh.command(self.repo_host, remote, purpose=f"restic dump {path} at {self.destination.host}")

    def stream_to(self, path: str, archive: bool, agent: Command, total: int) -> execute.PipelineResult:
        streamed = execute.stream(self.dump_command(path, archive), ssh.command(self.target, agent),
                                  on_progress=self._show(path, total))
        if streamed.producer.returncode != 0:
            others = ", ".join(s for s in self.job.destinations if s != self.destination.site)
            raise Unreadable(f"the backup of {path} at {self.destination.site} could not be read back: "
                             f"{restic.error_text(streamed.producer.stderr) or streamed.producer.stderr.strip()[-300:]}; "
                             f"nothing was placed. The copy there may be damaged (`ikzops verify --site "
                             f"{self.destination.site} --full`); restore from another site: --from {others}")
        return streamed

    # --- on the target
    def agent(self, machine, module: str, *args: str, stdin: str | None = None) -> tuple[int, dict]:
        command = _agent(module, *args)
        done = execute.run_remote(machine, Command(command.argv, stdin=stdin, purpose=command.purpose), check=False)
        try:
            return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise ConfigError(f"{command.purpose} on {self.target.name} did not run: {done.stderr.strip()[-300:]}",
                              hint="deploy the agent there: `ikzops deploy`") from None

    def restore_files(self, dry: bool) -> None:
        result = self.result
        root = result.target_dir or "/"
        stagings = _stagings(result.target_dir, result.paths, result.id)
        meta = f"{layout.DRILL_SCRATCH}/.ikzops-restore-{result.id}-manifest"
        if dry:
            listed = self.listing(with_manifest=False)[0]
            with connect(self.target) as machine:
                lines = "".join(json.dumps(n) + "\n" for nodes in listed.values() for n in nodes)
                _, result.planned = self.agent(machine, "restore_tree", "plan", root, stdin=lines)
            result.verdict = "planned"
            return
        with connect(self.target) as machine:
            parents = sorted({posixpath.dirname(s) for s in [*stagings.values(), meta]})
            swept = execute.run_remote_shell(machine, _sweep(parents), "remove stagings of interrupted restores").stdout.split()
            if swept:
                result.warnings.append(f"removed {len(swept)} staging director(ies) of interrupted restores")
            try:
                manifest = self._fetch(stagings)
                if manifest is None:
                    self._transfer(*self.listing(with_manifest=True), stagings, meta)
                    manifest = f"{meta}{layout.manifest_path(self.job.name)}"
                if self._verify(machine, stagings, manifest):
                    self._apply(machine, stagings, root)
            finally:
                execute.run_remote(machine, _agent("restore_tree", "clean", *sorted({*stagings.values(), meta})), check=False)

    def listing(self, *, with_manifest: bool) -> tuple[dict[str, list[dict]], dict | None]:
        """The nodes of the selected paths (and the manifest's), read on the repository host."""

        with connect(self.repo_host) as repo_machine:
            listed = {path: self.nodes(repo_machine, path) for path in self.result.paths}
            manifest = self.nodes(repo_machine, layout.manifest_path(self.job.name))[0] if with_manifest else None
        return listed, manifest

    def _show(self, label: str, total: int):
        started = time.monotonic()

        def show(progress: dict) -> None:
            size = progress.get("total") or total
            rate = progress["bytes"] / max(time.monotonic() - started, 1e-3)
            left = (size - progress["bytes"]) / rate if rate and size else 0
            self.progress.wait(f"{label}: {progress['files']} files, {progress['bytes'] / 1e6:.0f} of {size / 1e6:.0f} MB, "
                               f"{rate / 1e6:.0f} MB/s, {left:.0f} s left")
        return show

    def _fetch(self, stagings: dict[str, str]) -> str | None:
        """The direct way: ``restic restore`` on the target from a read-only REST server that
        the repository host runs for this restore alone (see ``agent/restore_server.py``).
        The server's credential is made here for this restore and dies with it; it and the
        repository password reach the target's restic through standard input, never a file
        or a command line. Returns where the manifest was staged, or None when the target
        cannot do it (an older agent, no restic, no route to the server's port): then the
        data is relayed instead (:meth:`_transfer`)."""

        result, clock = self.result, time.monotonic()
        if self.destination.s3:  # no repository host serves a bucket; the target holds no owner's keys
            result.warnings.append(f"relayed through the control host: {self.destination.site} keeps the repository in "
                                   "a bucket of its S3 gateway, which no restore server serves")
            return None
        with restore_server.serving(self.repo_host, self.destination.path, result.id) as served:
            if served.error:
                result.warnings.append(f"relayed through the control host: {self.destination.host} could not serve the "
                                       f"restore directly ({served.error})")
                return None
            repository_password = credentials.repository_password(SecretStore(self.p.name), self.job.name)
            settings = {
                "url": served.url, "user": served.user, "password": served.password,
                "repository_password": repository_password, "cacert": layout.CA_FILE, "snapshot": result.snapshot,
                "manifest": layout.manifest_path(self.job.name),
                "stagings": {staging: [path for path, s in stagings.items() if s == staging] for staging in set(stagings.values())},
            }
            fetch = replace(ssh.command(self.target, _agent("restore_tree", "fetch")), stdin=json.dumps(settings) + "\n",
                            secrets=(served.password, repository_password))
            done = execute.feed(fetch, on_progress=self._show(f"{self.job.name} from {self.destination.host}", 0))
        try:
            outcome = json.loads(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            outcome = {"error": done.stderr.strip()[-300:] or f"exit {done.returncode}"}
        if outcome.get("error"):
            why = f"{outcome['error']}: {restic.error_text(outcome.get('stderr', ''))}".rstrip(": ")
            if done.returncode == 255 or not outcome.get("restic_exit") or _cannot_reach(why):
                result.warnings.append(f"relayed through the control host: the direct restore on {self.target.name} "
                                       f"did not run ({why})")
                return None
            others = ", ".join(s for s in self.job.destinations if s != self.destination.site)
            raise Unreadable(f"the backup at {self.destination.site} could not be read back: {why}; nothing was placed. "
                             f"The copy there may be damaged (`ikzops verify --site {self.destination.site} --full`); "
                             f"restore from another site: --from {others}")
        result.transfer_seconds = round(time.monotonic() - clock, 3)
        result.timings = {k: outcome[k] for k in ("restic_seconds", "hash_after_seconds") if k in outcome}
        return f"{sorted(set(stagings.values()))[0]}/{MANIFEST}"

    def _transfer(self, listed: dict[str, list[dict]], manifest_node: dict, stagings: dict[str, str], meta: str) -> None:
        clock = time.monotonic()
        total = sum(n.get("size", 0) for nodes in listed.values() for n in nodes if n.get("type") == "file")
        manifest = layout.manifest_path(self.job.name)
        self.stream_to(manifest, False, _agent("restore_tree", "file", meta, json.dumps(manifest_node)), 0)
        for path, nodes in listed.items():
            archive = nodes[0].get("type") == "dir"
            agent = (_agent("restore_tree", "extract", stagings[path]) if archive
                     else _agent("restore_tree", "file", stagings[path], json.dumps(nodes[0])))
            streamed = self.stream_to(path, archive, agent, total)
            if streamed.consumer.returncode != 0:
                raise ConfigError(f"staging {path} on {self.target.name} failed: "
                                  f"{streamed.consumer.stdout.strip() or streamed.consumer.stderr.strip()[-300:]}")
        self.result.transfer_seconds = round(time.monotonic() - clock, 3)

    def _verify(self, machine, stagings: dict[str, str], manifest: str) -> bool:
        clock = time.monotonic()
        self.progress.wait(f"comparing every restored file of {self.job.name} with its manifest")
        code, verdict = self.agent(machine, "restore_tree", "verify", ",".join(sorted(set(stagings.values()))), manifest,
                                   *self.result.paths)
        self.result.verify_seconds = round(time.monotonic() - clock, 3)
        result = self.result
        result.files, result.bytes = verdict.get("files", 0), verdict.get("bytes", 0)
        result.mismatched, result.mismatches = verdict.get("mismatched", 0), verdict.get("mismatches", [])
        if verdict.get("error"):
            result.fail("failed", f"the manifest comparison did not run: {verdict['error']}")
            return False
        if verdict.get("absent"):
            raise ConfigError(f"{', '.join(verdict['absent'])}: not in run {result.run or result.snapshot[:8]} of {self.job.name}; "
                              "nothing was placed", hint="`ikzops find --job ... NAME` shows in which runs a file was seen")
        if code != 0 or result.mismatched:
            others = [s for s in self.job.destinations if s != self.destination.site]
            result.fail("mismatch", f"{result.mismatched} file(s) differ from the manifest recorded at backup time; "
                                    f"nothing was placed (try --from {', '.join(others)})")
            return False
        return True

    def _apply(self, machine, stagings: dict[str, str], root: str) -> None:
        clock = time.monotonic()
        args = [",".join(sorted(set(stagings.values()))), root, *(["--overwrite"] if self.result.overwrite else [])]
        code, outcome = self.agent(machine, "restore_tree", "apply", *args)
        self.result.apply_seconds = round(time.monotonic() - clock, 3)
        result = self.result
        result.created, result.replaced = outcome.get("created", 0), outcome.get("replaced", 0)
        result.identical = outcome.get("identical", 0)
        if code == 3:
            result.conflicts = outcome.get("conflicts", [])
            result.fail("conflict", f"{len(result.conflicts)} existing file(s) differ from the backup; nothing was "
                                    "placed: give --overwrite to replace them, or restore below a directory (--to HOST:DIR)")
        elif code != 0 or outcome.get("error"):
            result.fail("failed", f"placing the files failed: {outcome.get('error', code)}")
        else:
            result.verdict = "restored"

    def restore_database(self, name: str, as_name: str, overwrite: bool, dry: bool) -> None:
        result = self.result
        dump = f"{layout.DUMP_DIR}/{self.job.name}/postgresql/{name}.sql"
        result.paths = [dump]
        with connect(self.target) as machine:
            code, found = self.agent(machine, "pg_restore", "check", as_name, *(["--overwrite"] if overwrite else []))
            result.database = {"name": name, "as": as_name, "exists": found.get("exists")}
            if found.get("error"):
                raise ConfigError(f"PostgreSQL on {self.target.name}: {found['error']}")
            if code == 3:
                result.fail("conflict", f"database {as_name} exists on {self.target.name}: it is never dropped; give "
                                        f"--overwrite to rename it aside, or --as another name")
                return
            if dry:
                result.verdict = "planned"
                result.planned = {"database": as_name, "replace": bool(found.get("exists"))}
                return
        with connect(self.repo_host) as repo_machine:
            manifest = self._restic(repo_machine, restic.dump(self.repo, result.snapshot, layout.manifest_path(self.job.name),
                                                              archive=False), "read the manifest")
            entry = next((parse_line(line) for line in manifest.splitlines() if line.endswith("\t" + dump)), None)
            if entry is None:
                raise ConfigError(f"run {result.run} holds no dump of {name} ({dump} is not in its manifest)")
            counts = self._restic(repo_machine, restic.dump(self.repo, result.snapshot, counts_path(dump), archive=False),
                                  "read the row counts of dump time") if self._has(repo_machine, counts_path(dump)) else ""
        expected = json.dumps(json.loads(counts)["tables"]) if counts else "-"
        if not counts:
            result.warnings.append("this dump has no row counts of dump time (made before ikzops recorded them)")
        aside = f"{as_name}_before_{result.id.replace('-', '_').lower()}"
        agent = _agent("pg_restore", "load", as_name, entry[0], str(entry[1]), expected,
                       *(["--overwrite", "--aside", aside] if overwrite else []))
        clock = time.monotonic()
        streamed = self.stream_to(dump, False, agent, entry[1])
        result.transfer_seconds = round(time.monotonic() - clock, 3)
        try:
            loaded = json.loads(streamed.consumer.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise ConfigError(f"loading {name} on {self.target.name} did not run: {streamed.consumer.stderr[-300:]}") from None
        result.database.update(loaded)
        result.files, result.bytes = 1, loaded.get("bytes", 0)
        if loaded.get("error"):
            result.fail("mismatch" if "differs from the manifest" in loaded["error"] else "failed",
                        f"database {as_name}: {loaded['error']}")
        elif loaded.get("count_mismatches"):
            result.fail("mismatch", f"database {as_name}: rows differ from dump time: "
                                    + "; ".join(loaded["count_mismatches"][:5]))
        else:
            result.verdict = "restored"
            if loaded.get("aside"):
                result.warnings.append(f"the database that was there is now called {loaded['aside']}")

    def _has(self, machine, path: str) -> bool:
        listed = runner.run(machine, restic.ls(self.repo, self.result.snapshot, path), check=False,
                            as_user=layout.REST_SERVER_USER)
        return listed.returncode == 0 and bool(restic.parse_ls(listed.stdout))


def exit_code(result: RestoreResult) -> ExitCode:
    return worst([result.exit_code])


def restore_lun(inventory: str, *, lun: str, to: str, from_site: str | None = None, snapshot: str | None = None,
                dry: bool = False, progress: Progress) -> tuple[RestoreResult, Path | None]:
    """A LUN's image, from the job that backs it up, into a file pool of storage host ``to``,
    proven against its sha256 and then served there under the LUN's own target IQN, LUN
    number, CHAP account and initiator ACL (``san/failover.py``)."""

    p = loader.load(inventory)
    if lun not in p.luns:
        raise ConfigError(f"--lun {lun}: no LUN {lun!r} in the inventory", hint=f"LUNs: {', '.join(p.luns) or 'none'}")
    job = p.lun_job(lun)
    if job is None:
        raise ConfigError(f"LUN {lun} is backed up by no job: nothing to restore it from",
                          hint="add a job with 'luns': [...] or 'pool': 'HOST/POOL' to ikz_jobs")
    host, directory = parse_target(p, to)
    if directory or not host.has("storage"):
        raise ConfigError(f"--to {to}: a LUN is restored onto a storage host (no :DIR)",
                          hint=f"storage hosts: {', '.join(h.name for h in p.hosts_with('storage'))}")
    if host.name == p.luns[lun].host:
        raise ConfigError(f"--to {to}: {host.name} serves LUN {lun} already (it would keep serving the old file)",
                          hint="restore onto a storage host at another site: the same IQN is served from there")
    device = failover.restored_device(p, lun, host.name)
    with connect(host) as machine:
        if _has_path(machine, device):
            raise ConfigError(f"{host.name}:{device} exists: nothing was restored",
                              hint="remove it (it may be a LUN restored before) or restore onto another storage host")
    staging = f"{posixpath.dirname(device)}/.ikzops-lun-{secrets.token_hex(4)}"
    result, _ = restore(inventory, job=job.name, to=f"{host.name}:{staging}", from_site=from_site, snapshot=snapshot,
                        includes=(job.image(lun),), dry=dry, progress=progress, keep_record=False)
    target = failover.failover_target(p, host.name, {lun})
    result.lun = {"name": lun, "device": device, "iqn": target.iqn, "number": target.luns[0].number,
                  "chap_user": target.chap_user, "initiators": list(target.initiators), "served": False}
    if dry:
        return result, None
    with connect(host) as machine:
        if result.verdict == "restored":
            _serve(p, machine, result, f"{staging}{job.image(lun)}", staging, device)
        else:
            execute.run_remote_shell(machine, f"rm -rf -- {shlex.quote(staging)}", "remove the staging folder")
    return result, None if dry else records.write(result, "restores", _name(result), p.name)


def _has_path(machine, path: str) -> bool:
    return execute.run_remote_shell(machine, f"test -e {shlex.quote(path)}", "look for a file").returncode == 0


def _serve(p: Partnership, machine, result: RestoreResult, image: str, staging: str, device: str) -> None:
    """Move the proven image into place and serve it (with any LUN of its target restored before)."""

    lun = result.lun["name"]
    moved = execute.run_remote_shell(
        machine, f"mv -f -- {shlex.quote(image)} {shlex.quote(device)} && rm -rf -- {shlex.quote(staging)}", "place the LUN")
    if moved.returncode != 0:
        result.fail("failed", f"placing the image at {device} failed: {moved.stderr.strip()}")
        return
    present = {sibling.name for sibling in failover.siblings(p, lun)
               if _has_path(machine, failover.restored_device(p, sibling.name, result.target_host))}
    target = failover.failover_target(p, result.target_host, present | {lun})
    partner = p.luns[lun].partner
    content = templates.render("storage/tgt-target.conf.j2", host=f"{result.target_host} (restored from {p.luns[lun].host})",
                               target=target, chap_secret=SecretStore(p.name).get_or_create("chap", partner))
    ssh.write_file(machine, failover.config_path(p, lun), content, mode="0600", purpose="write the LUN's target config")
    applied = execute.run_remote_shell(
        machine, f"tgt-admin --update {shlex.quote(target.iqn)} -f -c /etc/tgt/targets.conf && "
                 f"tgtadm --lld iscsi --mode target --op show | grep -qx 'Target [0-9]*: {target.iqn}'", "serve the LUN")
    if applied.returncode != 0:
        result.fail("failed", f"the image is at {device}, but tgt does not serve {target.iqn}: "
                              f"{(applied.stderr or applied.stdout).strip() or 'see journalctl -u tgt'}")
        return
    result.lun["served"] = True
