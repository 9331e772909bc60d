"""A restore on its target host: stage, prove, then place. ``python3 -m ikzops_agent.restore_tree``.

The data comes one of two ways. Directly (``fetch``): ``restic restore`` here reads the
run from a read-only REST server that the repository host runs for this restore alone
(``restore_server``); its throwaway credential and the repository password arrive on
standard input and live only in this process and restic's environment, never in a file,
on a command line or in a log. Or relayed (``extract``, ``file``): ``restic dump`` on the
repository host streams through SSH, relayed by the control host, into standard input
here; no secret at all reaches the target. Steps, each a sub-command:

``fetch``                    settings as one JSON line on stdin (see :func:`fetch`):
                             ``restic restore`` into the staging directories, every file
                             hashed as soon as restic reports it complete (on every core,
                             while the rest is still arriving)
``extract STAGING``          a tar stream into STAGING (original absolute paths below it),
                             every regular file hashed while it is written
``file STAGING NODE``        one file's raw content (``restic dump`` of a file), NODE its
                             metadata as ``restic ls --json`` gives it
``verify STAGING MANIFEST PATH...``
                             every file of the backup-time manifest under PATHs against
                             what was staged (sha256, size, mode): JSON, exit 1 on mismatch
``plan ROOT``                dry run: node lines of ``restic ls --json`` on stdin; what
                             would be created, replaced, or is already there (size, mtime)
``apply STAGING ROOT [--overwrite]``
                             move the staged files to ROOT + their original paths; an
                             existing file that differs is replaced only with --overwrite
                             (else nothing at all is placed, exit 3 with the conflicts);
                             an existing identical file counts as restored (so an
                             interrupted restore simply runs again)
``clean STAGING...``         remove staging directories

Staging directories are ``.ikzops-restore-<id>`` (mode 0700), never the final place: a
half-written restore is never presented as complete. Interrupted (SIGTERM, SIGHUP of a
lost connection), ``extract`` and ``file`` remove what they staged.
"""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from . import restic
from .fileio import BLOCK, sha256_file
from .manifest import parse_line

HASHES = ".ikzops-hashes.tsv"
#: where ``fetch`` puts the backup-time manifest in the first staging directory
MANIFEST = ".ikzops-manifest.tsv"
PROGRESS_EVERY = 0.5
#: threads hashing restored files while restic writes the rest (hashlib releases the GIL)
HASHERS = max(2, os.cpu_count() or 2)


class Interrupted(Exception):
    pass


def _interrupted(signum, frame) -> None:
    raise Interrupted(signal.Signals(signum).name)


def staged(staging: str, original: str) -> str:
    return os.path.join(staging, original.lstrip("/"))


def _inside(root: str, path: str) -> bool:
    real_root = os.path.realpath(root)
    return os.path.commonpath([real_root, os.path.realpath(path)]) == real_root


def _owner(name: str | None, number: int, lookup) -> int:
    """The id of ``name`` on this host if it exists here, else the number from the backup."""

    if name:
        try:
            return lookup(name)
        except KeyError:
            pass
    return number


def _uid(name: str | None, number: int) -> int:
    return _owner(name, number, lambda n: pwd.getpwnam(n).pw_uid)


def _gid(name: str | None, number: int) -> int:
    return _owner(name, number, lambda n: grp.getgrnam(n).gr_gid)


class Stager:
    """Writes files below a staging directory, hashing them as they are written."""

    def __init__(self, staging: str) -> None:
        self.staging = staging
        os.makedirs(staging, mode=0o700, exist_ok=True)
        os.chmod(staging, 0o700)
        self.hashes = open(os.path.join(staging, HASHES), "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.files = self.bytes = 0
        self.last = 0.0
        self.directories: list[tuple[str, int, float]] = []

    def target(self, name: str) -> str:
        path = os.path.normpath(os.path.join(self.staging, name.lstrip("/")))
        if not _inside(self.staging, os.path.dirname(path)) or os.path.normpath(name.lstrip("/")).startswith(".."):
            raise ValueError(f"refusing {name!r}: it would land outside the restore")
        return path

    def write(self, name: str, source, mode: int, uid: int, gid: int, mtime: float) -> None:
        path = self.target(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.unlink(path)
        digest = hashlib.sha256()
        size = 0
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            for block in iter(lambda: source.read(BLOCK), b""):
                digest.update(block)
                view = memoryview(block)
                while view:
                    view = view[os.write(fd, view):]
                size += len(block)
                self.bytes += len(block)
                self.progress()
            os.fchown(fd, uid, gid)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.utime(path, (mtime, mtime), follow_symlinks=False)
        self.hashes.write(f"{digest.hexdigest()}\t{size}\t{stat.S_IMODE(mode):04o}\t/{name.lstrip('/')}\n")
        self.files += 1

    def directory(self, name: str, mode: int, uid: int, gid: int, mtime: float) -> None:
        path = self.target(name)
        os.makedirs(path, exist_ok=True)
        os.chown(path, uid, gid)
        self.directories.append((path, mode, mtime))

    def symlink(self, name: str, link: str, uid: int, gid: int, mtime: float) -> None:
        path = self.target(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(link, path)
        os.lchown(path, uid, gid)
        os.utime(path, (mtime, mtime), follow_symlinks=False)

    def progress(self, final: bool = False) -> None:
        now = time.monotonic()
        if final or now - self.last >= PROGRESS_EVERY:
            self.last = now
            print(json.dumps({"progress": {"files": self.files, "bytes": self.bytes}}), file=sys.stderr, flush=True)

    def close(self) -> dict:
        # directories last, deepest first: writing into them changed their mtimes
        for path, mode, mtime in sorted(self.directories, key=lambda d: -d[0].count("/")):
            os.chmod(path, stat.S_IMODE(mode))
            os.utime(path, (mtime, mtime))
        self.hashes.close()
        self.progress(final=True)
        return {"files": self.files, "bytes": self.bytes}


def extract(staging: str, stream) -> dict:
    stager = Stager(staging)
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member in archive:
            uid, gid = _uid(member.uname, member.uid), _gid(member.gname, member.gid)
            if member.isdir():
                stager.directory(member.name, member.mode, uid, gid, member.mtime)
            elif member.isreg():
                stager.write(member.name, archive.extractfile(member), member.mode, uid, gid, member.mtime)
            elif member.issym():
                stager.symlink(member.name, member.linkname, uid, gid, member.mtime)
            elif member.islnk():
                source = stager.target(member.linkname)
                link = stager.target(member.name)
                os.makedirs(os.path.dirname(link), exist_ok=True)
                os.link(source, link)
    return stager.close()


def _node_time(text: str) -> float:
    head, _, rest = text.replace("Z", "+00:00").partition(".")
    digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
    return datetime.fromisoformat(f"{head}.{digits[:6]}{rest[len(digits):]}" if rest else head).timestamp()


def stage_file(staging: str, node: dict, stream) -> dict:
    stager = Stager(staging)
    stager.write(node["path"], stream, node.get("mode", 0o644) & 0o7777, _uid(node.get("user"), node.get("uid", 0)),
                 _gid(node.get("group"), node.get("gid", 0)), _node_time(node["mtime"]))
    return stager.close()


def _hash(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def identity(user: str | None) -> dict:
    """``subprocess`` arguments that run a child as ``user`` and its group alone (where the
    repository's owner must run restic), or as this process."""

    return {"user": user, "group": user, "extra_groups": []} if user else {}


def _die_with_parent() -> None:
    """In the child before exec: the kernel ends it (SIGTERM) when this agent dies, however."""

    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _end_with_stdin(active: list) -> None:
    """The session's standard input stays open while the control host waits; its end (the
    restore was cancelled there, or the connection was lost) stops restic and interrupts
    this agent (which then removes what it staged)."""

    def watch() -> None:
        # the descriptor, not sys.stdin's buffer: a thread blocked inside the buffer holds its
        # lock, and the interpreter's exit then waits a second for it and aborts
        while os.read(sys.stdin.fileno(), 4096):
            pass
        for run in list(active):
            run.stop()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True).start()


class Fetch:
    """``restic restore`` into one staging directory, hashing each file restic has completed."""

    def __init__(self, staging: str, env: dict[str, str], pool: ThreadPoolExecutor, skip: str,
                 user: str | None = None) -> None:
        self.staging, self.env, self.pool, self.skip, self.user = staging, env, pool, skip, user
        self.futures: dict[str, object] = {}
        self.process: subprocess.Popen | None = None
        self.errors: list[str] = []
        self.files = self.bytes = 0

    def _queue(self, original: str) -> None:
        path = staged(self.staging, original)
        if original != self.skip and original not in self.futures:
            self.futures[original] = self.pool.submit(_hash, path)

    def run(self, snapshot: str, includes: list[str], report) -> int:
        os.makedirs(self.staging, mode=0o700, exist_ok=True)
        os.chmod(self.staging, 0o700)
        argv = restic.restore_from_environment(snapshot, self.staging, includes)
        self.process = subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, preexec_fn=_die_with_parent,
                                        **identity(self.user))
        errors = threading.Thread(target=lambda: self.errors.extend(self.process.stderr.read().splitlines()[-20:]),
                                  daemon=True)
        errors.start()
        for line in self.process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            kind = message.get("message_type")
            if kind == "verbose_status" and message.get("action") == "restored":
                item = message.get("item", "")
                if message.get("size") is not None and os.path.isfile(staged(self.staging, item)):
                    self._queue(item)
            elif kind == "status":
                report(message.get("files_restored", 0), message.get("bytes_restored", 0), message.get("total_bytes", 0))
        code = self.process.wait()
        errors.join(timeout=10)
        return code

    def finish(self, hashes) -> None:
        """Hash what restic did not report (hard links, anything missed), then record every
        file with the mode restic gave it at the end."""

        for top, dirs, names in os.walk(self.staging):
            dirs.sort()
            for name in names:
                path = os.path.join(top, name)
                if top == self.staging and name.startswith(".ikzops-"):
                    continue
                if stat.S_ISREG(os.lstat(path).st_mode):
                    self._queue("/" + os.path.relpath(path, self.staging))
        for original, future in sorted(self.futures.items()):
            digest, size = future.result()
            mode = stat.S_IMODE(os.lstat(staged(self.staging, original)).st_mode)
            hashes.write(f"{digest}\t{size}\t{mode:04o}\t{original}\n")
            self.files += 1
            self.bytes += size

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _move_manifest(staging: str, manifest: str) -> None:
    """The restored manifest out of the tree (to ``MANIFEST`` at the staging's top), and the
    directories that only held it."""

    source = staged(staging, manifest)
    os.replace(source, os.path.join(staging, MANIFEST))
    parent = os.path.dirname(source)
    while parent != staging and not os.listdir(parent):
        os.rmdir(parent)
        parent = os.path.dirname(parent)


def fetch(settings: dict, active: list) -> dict:
    """``settings``: ``url`` (``rest:https://host:port/``), ``user``, ``password`` (the restore
    server's throwaway credential), ``repository_password``, ``cacert``, ``snapshot``,
    ``stagings`` (staging directory -> original paths to restore there), ``manifest`` (its
    original path; restored into the first staging directory as ``MANIFEST``)."""

    env = restic.environment(RESTIC_REPOSITORY=settings["url"], RESTIC_REST_USERNAME=settings["user"],
                             RESTIC_REST_PASSWORD=settings["password"], RESTIC_PASSWORD=settings["repository_password"],
                             RESTIC_CACERT=settings["cacert"], RESTIC_PROGRESS_FPS="2")
    manifest = settings["manifest"]
    last = [0.0]

    def report(files: int, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            print(json.dumps({"progress": {"files": files, "bytes": done, "total": total}}), file=sys.stderr, flush=True)

    files = total_bytes = 0
    timings = {"restic_seconds": 0.0, "hash_after_seconds": 0.0}
    with ThreadPoolExecutor(max_workers=HASHERS) as pool:
        for index, (staging, paths) in enumerate(sorted(settings["stagings"].items())):
            run = Fetch(staging, env, pool, skip=manifest if index == 0 else "")
            active.append(run)
            clock = time.monotonic()
            code = run.run(settings["snapshot"], [*paths, *([manifest] if index == 0 else [])], report)
            timings["restic_seconds"] += time.monotonic() - clock
            if code != 0:
                return {"error": "restic restore failed", "restic_exit": code, "stderr": "\n".join(run.errors)}
            if index == 0:
                if not os.path.isfile(staged(staging, manifest)):
                    return {"error": f"the run holds no manifest ({manifest})"}
                _move_manifest(staging, manifest)
            clock = time.monotonic()
            with open(os.path.join(staging, HASHES), "a", encoding="utf-8") as hashes:
                run.finish(hashes)
            timings["hash_after_seconds"] += time.monotonic() - clock
            files, total_bytes = files + run.files, total_bytes + run.bytes
    print(json.dumps({"progress": {"files": files, "bytes": total_bytes}}), file=sys.stderr, flush=True)
    return {"files": files, "bytes": total_bytes, **{k: round(v, 3) for k, v in timings.items()}}


def _under(path: str, prefixes: list[str]) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def read_hashes(stagings: list[str]) -> dict[str, tuple[str, int, str]]:
    hashes: dict[str, tuple[str, int, str]] = {}
    for staging in stagings:
        path = os.path.join(staging, HASHES)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    digest, size, mode, original = parse_line(line)
                    hashes[original] = (digest, size, mode)
    return hashes


def verify(stagings: list[str], manifest: str, paths: list[str], limit: int = 200) -> dict:
    """Every manifest entry under ``paths`` against what was staged (hashed while written);
    ``absent``: the paths of which the run holds nothing at all."""

    hashes = read_hashes(stagings)
    files = checked_bytes = mismatched = 0
    mismatches = []
    seen: set[str] = set()
    with open(manifest, encoding="utf-8") as handle:
        for line in handle:
            digest, size, mode, original = parse_line(line)
            under = [p for p in paths if _under(original, [p])]
            if not under:
                continue
            seen.update(under)
            files += 1
            got = hashes.get(original)
            problem = None
            if got is None:
                problem = "missing"
            elif got[1] != size:
                problem = f"size {got[1]} != {size}"
            elif got[2] != mode:
                problem = f"mode {got[2]} != {mode}"
            elif got[0] != digest:
                problem = "sha256 differs"
            else:
                checked_bytes += size
            if problem:
                mismatched += 1
                if len(mismatches) < limit:
                    mismatches.append({"path": original, "problem": problem})
    absent = [p for p in paths if p not in seen and not any(os.path.lexists(staged(s, p)) for s in stagings)]
    return {"files": files, "bytes": checked_bytes, "mismatched": mismatched, "mismatches": mismatches, "absent": absent}


def _final(root: str, original: str) -> str:
    return os.path.join(root, original.lstrip("/"))


def plan(root: str, nodes: list[dict], limit: int = 200) -> dict:
    """Dry run by metadata: files that would be created, replaced, or are already there."""

    create, replace, identical = [], [], 0
    for node in nodes:
        if node.get("type") != "file":
            continue
        target = _final(root, node["path"])
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            create.append(target)
            continue
        if info.st_size == node.get("size", 0) and abs(info.st_mtime - _node_time(node["mtime"])) < 1:
            identical += 1
        else:
            replace.append(target)
    return {"create": len(create), "replace": len(replace), "identical": identical,
            "created": create[:limit], "replaced": replace[:limit]}


def _same(target: str, digest: str, size: int, mode: str) -> bool:
    info = os.lstat(target)
    return (stat.S_ISREG(info.st_mode) and info.st_size == size and f"{stat.S_IMODE(info.st_mode):04o}" == mode
            and sha256_file(target) == digest)


def _place(source: str, target: str) -> None:
    """Move one staged file to its place (atomically: a rename on one filesystem)."""

    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != 18:  # EXDEV: another filesystem, copy beside the target, then rename
            raise
        tmp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.ikzops-restore")
        shutil.copy2(source, tmp)
        info = os.lstat(source)
        os.chown(tmp, info.st_uid, info.st_gid)
        os.replace(tmp, target)


def apply(stagings: list[str], root: str, overwrite: bool, limit: int = 200) -> tuple[int, dict]:
    """Place every staged file under ``root``; nothing at all when a differing file would be
    replaced without ``overwrite`` (exit 3 and the conflicts)."""

    hashes = read_hashes(stagings)
    where = {original: staging for staging in stagings for original in read_hashes([staging])}
    create, replace, identical, links = [], [], [], []
    for original, (digest, size, mode) in sorted(hashes.items()):
        target = _final(root, original)
        if not os.path.lexists(target):
            create.append(original)
        elif _same(target, digest, size, mode):
            identical.append(original)
        else:
            replace.append(original)
    outcome = {"created": len(create), "replaced": len(replace), "identical": len(identical),
               "conflicts": [_final(root, o) for o in replace][:limit] if not overwrite else [],
               "replaced_files": [_final(root, o) for o in replace][:limit] if overwrite else []}
    if replace and not overwrite:
        outcome["created"] = outcome["replaced"] = 0
        return 3, outcome
    # directories (with their owners and modes) and symbolic links first, then the files
    for staging in stagings:
        for top, dirs, files in os.walk(staging):
            dirs.sort()
            for name in [*dirs, *files]:
                source = os.path.join(top, name)
                if top == staging and name in (HASHES, MANIFEST):
                    continue
                target = _final(root, "/" + os.path.relpath(source, staging))
                if os.path.lexists(target):
                    continue
                info = os.lstat(source)
                if stat.S_ISLNK(info.st_mode):
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    os.symlink(os.readlink(source), target)
                    os.lchown(target, info.st_uid, info.st_gid)
                    links.append(target)
                elif stat.S_ISDIR(info.st_mode):
                    os.makedirs(target)
                    os.chown(target, info.st_uid, info.st_gid)
                    os.chmod(target, stat.S_IMODE(info.st_mode))
    for original in create + replace:
        _place(staged(where[original], original), _final(root, original))
    outcome["links"] = len(links)
    return 0, outcome


def clean(stagings: list[str]) -> None:
    for staging in stagings:
        if os.path.basename(staging.rstrip("/")).startswith(".ikzops-restore-"):
            shutil.rmtree(staging, ignore_errors=True)


def main(argv: list[str]) -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _interrupted)
    command, *args = argv
    code = 0
    active: list[Fetch] = []
    try:
        if command == "fetch":
            settings = json.loads(sys.stdin.buffer.readline())
            args = sorted(settings["stagings"])
            _end_with_stdin(active)
            result = fetch(settings, active)
            if result.get("error"):
                clean(args)
                code = 4
        elif command == "extract":
            result = extract(args[0], sys.stdin.buffer)
        elif command == "file":
            result = stage_file(args[0], json.loads(args[1]), sys.stdin.buffer)
        elif command == "verify":
            result = verify(args[0].split(","), args[1], args[2:])
            code = 1 if result["mismatched"] else 2 if result["absent"] else 0
        elif command == "plan":
            result = plan(args[0], [json.loads(line) for line in sys.stdin if line.strip()])
        elif command == "apply":
            code, result = apply(args[0].split(","), args[1], overwrite="--overwrite" in args[2:])
        elif command == "clean":
            clean(args)
            result = {"cleaned": len(args)}
        else:
            print(f"unknown command {command}", file=sys.stderr)
            return 2
    except Interrupted as exc:
        for run in active:
            run.stop()
        if command in ("extract", "file", "fetch"):
            clean(args if command == "fetch" else args[:1])
        print(json.dumps({"error": f"interrupted ({exc})"}))
        return 130
    except (OSError, ValueError, KeyError, tarfile.TarError) as exc:
        for run in active:
            run.stop()
        if command in ("extract", "file", "fetch"):
            clean(args if command == "fetch" else args[:1])
        print(json.dumps({"error": str(exc)}))
        return 2
    print(json.dumps(result))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
