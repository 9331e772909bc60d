"""The one place that knows restic: argv tuples, environment, exit codes, JSON output.

Pure functions build each restic invocation as an argv tuple plus the environment it
needs; secrets travel only as files (``RESTIC_PASSWORD_FILE``) or environment
variables (``RESTIC_REST_PASSWORD``), never in argv. The control host runs these
through its executor, the backup job on a client through ``subprocess``; both map
exit codes through :data:`EXIT_CODES` and parse ``--json`` output here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: how far ahead of the repository host's clock a snapshot may be dated; later ones come
#: from a client whose clock is wrong, or are forged (verify names them)
CLOCK_TOLERANCE = timedelta(minutes=10)

#: restic's documented exit codes (0.17+), and what they mean for a person
EXIT_CODES = {
    0: "ok",
    1: "restic failed",
    3: "some source files could not be read (the snapshot was still written)",
    10: "the repository does not exist",
    11: "the repository is locked by another process",
    12: "wrong repository password",
    130: "interrupted",
}


@dataclass(frozen=True)
class Repository:
    """Where a repository is and how to open it (paths to secrets, not secrets)."""

    url: str
    password_file: str
    cacert: str | None = None
    #: REST credentials: the user name, and the file holding its password
    rest_user: str | None = None
    rest_password_file: str | None = None
    cache_dir: str | None = None
    #: S3 credentials (an S3 repository): the files holding the access key id and the secret key
    s3_key_file: str | None = None
    s3_secret_file: str | None = None


@dataclass(frozen=True)
class Invocation:
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    #: environment variables whose values must come from these files at run time
    env_from_files: dict[str, str] = field(default_factory=dict)


def _env(repo: Repository, prefix: str = "") -> tuple[dict[str, str], dict[str, str]]:
    env = {f"RESTIC_{prefix}REPOSITORY": repo.url, f"RESTIC_{prefix}PASSWORD_FILE": repo.password_file}
    from_files = {}
    if not prefix:
        if repo.cacert:
            env["RESTIC_CACERT"] = repo.cacert
        if repo.cache_dir:
            env["RESTIC_CACHE_DIR"] = repo.cache_dir
        if repo.rest_user:
            env["RESTIC_REST_USERNAME"] = repo.rest_user
        if repo.rest_password_file:
            from_files["RESTIC_REST_PASSWORD"] = repo.rest_password_file
        if repo.s3_key_file and repo.s3_secret_file:
            from_files["AWS_ACCESS_KEY_ID"] = repo.s3_key_file
            from_files["AWS_SECRET_ACCESS_KEY"] = repo.s3_secret_file
    return env, from_files


#: how long each command waits for a lock another process holds (``--retry-lock``): a
#: backup, a drill or a restore that meets retention's prune (an exclusive lock, daily on
#: the repository host) waits for it instead of failing; retention waits for running backups
RETRY_LOCK = {"backup": "10m", "copy": "10m", "forget": "30m", "restore": "5m", "dump": "5m", "ls": "5m",
              "find": "5m", "snapshots": "5m"}


def _invocation(repo: Repository, *args: str, json_output: bool = True) -> Invocation:
    env, from_files = _env(repo)
    # global flags before the paths (after "--" every word is a path); --retry-lock after the verb
    verb, *rest = args
    wait = ("--retry-lock", RETRY_LOCK[verb]) if verb in RETRY_LOCK else ()
    argv = ("restic", *(("--json",) if json_output else ()), verb, *wait, *rest)
    return Invocation(argv, env, from_files)


def cat_config(repo: Repository) -> Invocation:
    return _invocation(repo, "cat", "config", json_output=False)


def init(repo: Repository, chunker_from: Repository | None = None) -> Invocation:
    """``restic init``; with ``chunker_from``, with that repository's chunker parameters
    (``--copy-chunker-params``), so that what ``restic copy`` moves between the two deduplicates."""

    if chunker_from is None:
        return _invocation(repo, "init")
    env, from_files = _two_repositories(repo, chunker_from)
    return Invocation(("restic", "--json", "init", "--copy-chunker-params"), env, from_files)


def backup(repo: Repository, paths: list[str], *, tags: list[str], host: str, exclude: list[str] = (),
           stdin_filename: str | None = None) -> Invocation:
    """``restic backup`` of ``paths`` (or, with ``stdin_filename``, of standard input under that name)."""

    args = ["backup", "--host", host]
    if stdin_filename:
        args += ["--stdin", "--stdin-filename", stdin_filename]
    for tag in tags:
        args += ["--tag", tag]
    for pattern in exclude:
        args += ["--exclude", pattern]
    return _invocation(repo, *args, "--", *paths)


def snapshots(repo: Repository, *, tags: list[str] = (), lock: bool = True) -> Invocation:
    """The snapshots (JSON); ``lock=False`` lists them without a lock, beside a running
    ``check`` (which holds the exclusive one)."""

    args = ["snapshots"] if lock else ["snapshots", "--no-lock"]
    for tag in tags:
        args += ["--tag", tag]
    return _invocation(repo, *args)


def copy(source: Repository, target: Repository, snapshot_ids: list[str]) -> Invocation:
    """``restic copy`` of ``snapshot_ids`` from ``source`` into ``target``. restic has one set
    of backend credentials for both (``RESTIC_REST_*``, ``AWS_*``), so between a REST server
    and a bucket each side's come from its own repository; between two of a kind, from the
    target (a client's credential is the same at every server of its partner)."""

    env, from_files = _two_repositories(target, source)
    return Invocation(("restic", "--json", "copy", "--retry-lock", RETRY_LOCK["copy"], "--", *snapshot_ids), env, from_files)


def _two_repositories(target: Repository, source: Repository) -> tuple[dict[str, str], dict[str, str]]:
    """The environment of a command that opens ``source`` (``RESTIC_FROM_*``) beside ``target``;
    the backend credentials each side's own where they differ in kind (see :func:`copy`)."""

    env, from_files = _env(target)
    source_env, _ = _env(source, prefix="FROM_")
    env.update(source_env)
    own, theirs = _env(source)
    env.update({k: v for k, v in own.items() if k == "RESTIC_REST_USERNAME" and k not in env})
    from_files.update({k: v for k, v in theirs.items() if k not in from_files})
    return env, from_files


def forget(repo: Repository, *, keep_last: int, keep_daily: int, keep_weekly: int, keep_monthly: int,
           tags: list[str] = (), prune: bool = True, dry_run: bool = False) -> Invocation:
    # one group per client host: every run has its own ikz-run tag, so grouping by
    # tags would make every snapshot its own group and keep them all
    args = ["forget", "--group-by", "host"]
    for flag, value in (("--keep-last", keep_last), ("--keep-daily", keep_daily),
                        ("--keep-weekly", keep_weekly), ("--keep-monthly", keep_monthly)):
        if value:
            args += [flag, str(value)]
    for tag in tags:
        args += ["--tag", tag]
    if dry_run:
        args.append("--dry-run")
    elif prune:
        args.append("--prune")
    return _invocation(repo, *args)


def forget_snapshots(repo: Repository, snapshot_ids: list[str], *, prune: bool = True) -> Invocation:
    """Forget exactly these snapshots (retention decides which, see retention.py)."""

    return _invocation(repo, "forget", *(("--prune",) if prune else ()), "--", *snapshot_ids, json_output=False)


def parse_forget(stdout: str) -> tuple[list[str], list[str]]:
    """(kept, removed) snapshot ids from ``restic forget --json``."""

    kept, removed = [], []
    for line in stdout.splitlines():
        if not line.startswith("[{"):
            continue  # --prune adds progress lines like "[0:00] 100.00%"
        try:
            groups = json.loads(line)
        except ValueError:
            continue
        for group in groups:
            if isinstance(group, dict):
                kept += [s["id"] for s in group.get("keep") or []]
                removed += [s["id"] for s in group.get("remove") or []]
    return kept, removed


def unlock(repo: Repository) -> Invocation:
    """Remove stale locks only (of processes that are gone); live locks stay."""

    return _invocation(repo, "unlock", json_output=False)


def check(repo: Repository, *, subset: str | None = None, read_all: bool = False, retry_lock: str = "1m") -> Invocation:
    args = ["check", "--retry-lock", retry_lock]
    if read_all:
        args.append("--read-data")
    elif subset:
        args += ["--read-data-subset", subset]
    return _invocation(repo, *args, json_output=False)


def restore(repo: Repository, snapshot: str, target: str) -> Invocation:
    return _invocation(repo, "restore", snapshot, "--target", target)


def _literal(path: str) -> str:
    """``path`` as a restic filter pattern that matches only itself (its glob characters escaped)."""

    return "".join("\\" + c if c in "*?[]\\" else c for c in path)


def environment(**values: str) -> dict[str, str]:
    """This process's environment without any ``RESTIC_*`` setting of its own, plus ``values``:
    for a restic that takes its repository and secrets from the environment."""

    env = {name: value for name, value in os.environ.items() if not name.startswith("RESTIC_")}
    env.update(values)
    return env


def access_environment(settings: dict) -> dict[str, str]:
    """How to open a repository named in a settings dict (``cacert``, and for a bucket the
    files of ``s3_key_file`` / ``s3_secret_file``), as environment variables for restic."""

    values = {}
    if settings.get("cacert"):
        values["RESTIC_CACERT"] = settings["cacert"]
    for name, key in (("AWS_ACCESS_KEY_ID", "s3_key_file"), ("AWS_SECRET_ACCESS_KEY", "s3_secret_file")):
        if settings.get(key):
            with open(settings[key], encoding="utf-8") as handle:
                values[name] = handle.read().strip()
    return values


def restore_from_environment(snapshot: str, target: str, includes: list[str]) -> tuple[str, ...]:
    """``restic restore`` of ``includes`` of ``snapshot`` below ``target``, for a repository and
    secrets its caller puts into the environment. Progress and every completed file come as
    JSON lines (``-vv``); no cache is left behind on the host."""

    argv = ["restic", "--json", "--verbose=2", "--no-cache", "restore", "--retry-lock", RETRY_LOCK["restore"],
            snapshot, "--target", target]
    for path in includes:
        argv += ["--include", _literal(path)]
    return tuple(argv)


def snapshots_from_environment(tags: list[str]) -> tuple[str, ...]:
    """``restic snapshots`` (JSON) of those with every one of ``tags``, for a repository and
    secrets its caller puts into the environment; no cache is left behind on the host."""

    argv = ["restic", "--json", "--no-cache", "snapshots", "--retry-lock", RETRY_LOCK["restore"]]
    for tag in tags:
        argv += ["--tag", tag]
    return tuple(argv)


def dump(repo: Repository, snapshot: str, path: str, *, archive: bool) -> Invocation:
    """``path`` of ``snapshot`` on stdout: a tar stream of a directory, or a file's content."""

    return _invocation(repo, "dump", *(("--archive", "tar") if archive else ()), snapshot, path, json_output=False)


def ls(repo: Repository, snapshot: str, path: str) -> Invocation:
    """Every node at and below ``path`` in ``snapshot`` (JSON lines: the snapshot, then nodes)."""

    return _invocation(repo, "ls", "--recursive", snapshot, path)


def find(repo: Repository, patterns: list[str], *, snapshot: str | None = None) -> Invocation:
    return _invocation(repo, "find", *(("--snapshot", snapshot) if snapshot else ()), "--", *patterns)


def find_pack(repo: Repository, pack: str, snapshot: str) -> Invocation:
    """The blobs of ``pack`` that ``snapshot`` uses (JSON list; empty if none)."""

    return _invocation(repo, "find", "--pack", "--snapshot", snapshot, "--", pack)


def parse_ls(stdout: str) -> list[dict]:
    """The nodes of ``restic ls --json`` (the first line describes the snapshot)."""

    nodes = []
    for line in stdout.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and item.get("struct_type") == "node":
            nodes.append(item)
    return nodes


def meaning(returncode: int) -> str:
    return EXIT_CODES.get(returncode, f"restic exited with {returncode}")


@dataclass(frozen=True)
class BackupSummary:
    snapshot_id: str
    files_new: int
    files_changed: int
    files_unmodified: int
    data_added: int
    total_bytes_processed: int
    seconds: float


def parse_backup(stdout: str) -> BackupSummary | None:
    """The summary line of ``restic backup --json``."""

    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("message_type") == "summary":
            return BackupSummary(
                snapshot_id=message.get("snapshot_id", ""),
                files_new=int(message.get("files_new", 0)),
                files_changed=int(message.get("files_changed", 0)),
                files_unmodified=int(message.get("files_unmodified", 0)),
                data_added=int(message.get("data_added", 0)),
                total_bytes_processed=int(message.get("total_bytes_processed", 0)),
                seconds=float(message.get("total_duration", 0.0)),
            )
    return None


def parse_snapshots(stdout: str) -> list[dict]:
    data = json.loads(stdout or "[]")
    return data if isinstance(data, list) else []


def snapshot_time(text: str) -> datetime:
    """A snapshot's time: RFC 3339 with nanoseconds, which ``datetime`` does not read."""

    text = text.replace("Z", "+00:00")
    if "." in text:
        head, rest = text.split(".", 1)
        digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        text = f"{head}.{digits[:6]}{rest[len(digits):]}"
    return datetime.fromisoformat(text)


def claims_after(snapshot: dict, moment: datetime) -> bool:
    """Is the snapshot dated more than :data:`CLOCK_TOLERANCE` after ``moment`` (timezone-aware)?"""

    return snapshot_time(snapshot["time"]) > moment + CLOCK_TOLERANCE


def newest(snapshots: list[dict], now: datetime) -> dict | None:
    """The newest of ``snapshots`` not dated in the future (after ``now``, beyond the clock
    tolerance): a client's wrong clock or a forged date never makes a snapshot "the newest"."""

    plausible = [s for s in snapshots if not claims_after(s, now)]
    return max(plausible, key=lambda s: snapshot_time(s["time"])) if plausible else None


def matching(snapshots: list[dict], prefix: str) -> list[dict]:
    """The snapshots whose id starts with ``prefix`` (a short id or a full one)."""

    return [s for s in snapshots if s["id"].startswith(prefix) or s.get("short_id") == prefix]


def tag_value(snapshot: dict, key: str) -> str | None:
    for tag in snapshot.get("tags") or []:
        if tag.startswith(f"{key}="):
            return tag.split("=", 1)[1]
    return None


def explain(text: str) -> str:
    """A repository server's refusal in words a person on call understands (else ``text``)."""

    lowered = text.lower()
    if "507" in text or "insufficient storage" in lowered or "no space left" in lowered:
        return ("quota exceeded or disk full: the repository server stores no more for this partner "
                "(507 Insufficient Storage: its quota there, or the volume, is used up)")
    if "quotaexceeded" in lowered:
        return ("quota exceeded: the S3 gateway stores no more for this partner (QuotaExceeded: its RGW user "
                "quota there is used up)")
    if "access denied" in lowered:
        return ("the S3 gateway denied the request (Access Denied: clients may add data, not delete or overwrite "
                "it; or the credentials are not this bucket's)")
    if "(413)" in text:
        return "the repository is over its size limit (413: rest-server --max-size)"
    if "(401)" in text or "401 unauthorized" in lowered:
        return "the repository server refused this client's credentials (401 Unauthorized)"
    if "(403)" in text or "403 forbidden" in lowered:
        return "the repository server forbade the request (403: append-only, or another client's repository)"
    return text.strip()


def error_text(stderr: str) -> str:
    """The lines of restic's stderr worth showing a person (no progress noise)."""

    lines = []
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("message_type") in ("error", "exit_error"):
                error = message.get("error")
                text = error.get("message") if isinstance(error, dict) else error or message.get("message")
                if text:
                    item = message.get("item")
                    lines.append(f"{item}: {text}" if item else str(text))
            continue
        if line:
            lines.append(line)
    return "\n".join(lines[-6:])
