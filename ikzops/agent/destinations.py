"""One backup run to one destination: reachable?, restic backup (watched), its result."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from . import restic
from .execute import environment, log
from .job_config import Destination, JobConfig
from .watchdog import run_watched

PROBE_TIMEOUT = 30
CONNECT_TIMEOUT = 5


def reachable(url: str, cacert: str | None) -> None:
    """Fail fast, with a clear message, when a destination's server does not answer
    or does not present a certificate of the partnership's CA.

    restic itself retries an unreachable server for many minutes.
    """

    parts = urlsplit(url.split(":", 1)[1] if url.startswith(("rest:", "s3:")) else url)
    host, port = parts.hostname or "", parts.port or 443
    location = f"{host}:{port}"
    context = ssl.create_default_context(cafile=cacert) if cacert else ssl.create_default_context()
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT) as raw:
            with context.wrap_socket(raw, server_hostname=host):
                pass
    except ssl.SSLCertVerificationError as exc:
        raise RuntimeError(f"the TLS certificate of {location} is not trusted: {exc.verify_message}") from None
    except (OSError, ssl.SSLError) as exc:
        raise RuntimeError(
            f"cannot reach {location} ({getattr(exc, 'strerror', None) or exc}): the site is down or cut off"
        ) from None


@dataclass
class DestinationResult:
    site: str
    ok: bool = False
    snapshot_id: str = ""
    files_new: int = 0
    files_changed: int = 0
    files_unmodified: int = 0
    bytes_added: int = 0
    bytes_processed: int = 0
    seconds: float = 0.0
    caught_up: list[str] = field(default_factory=list)
    error: str = ""


def repository(config: JobConfig, destination: Destination) -> restic.Repository:
    """The job's repository at ``destination``: a REST server with the client's REST
    credential, or an S3 bucket with the client's S3 keys."""

    s3 = destination.s3_key_file is not None
    return restic.Repository(
        url=destination.url,
        password_file=config.password_file,
        cacert=config.cacert,
        rest_user=None if s3 else config.rest_user,
        rest_password_file=None if s3 else config.rest_password_file,
        cache_dir=f"{config.state_dir}/cache",
        s3_key_file=destination.s3_key_file,
        s3_secret_file=destination.s3_secret_file,
    )


def run_against(config: JobConfig, destination: Destination, invocation: restic.Invocation, timeout: float):
    """Run restic against ``destination``, abandoning it when it is gone for good (see watchdog)."""

    done = run_watched(
        list(invocation.argv), environment(invocation),
        probe=lambda: reachable(destination.url, config.cacert),
        give_up_after=config.give_up_after, timeout=timeout,
    )
    if done.abandoned:
        raise RuntimeError(f"gave up on {destination.site}: {done.abandoned}")
    return done


def create_repository(config: JobConfig, destination: Destination) -> None:
    """The job's repository at ``destination``, with the chunker parameters of its repository
    at another destination where one answers: a site rebuilt empty gets its repository from
    the next backup (before or after its ``reseed``) and the runs ``reseed`` and catch-up copy
    into it still deduplicate. A new job's first run creates its repositories side by side,
    each its own (waiting for one would cost the first run a second or more)."""

    repo = repository(config, destination)
    for peer in config.destinations:
        if peer.site == destination.site:
            continue
        try:
            reachable(peer.url, config.cacert)
        except RuntimeError:
            continue
        # fails at once (no key derived) where the peer has no repository yet
        created = run_against(config, destination, restic.init(repo, chunker_from=repository(config, peer)),
                              PROBE_TIMEOUT * 2)
        if created.returncode == 0:
            log(f"{destination.site}: created repository {destination.url} with the chunker parameters of {peer.site}")
            return
    created = run_against(config, destination, restic.init(repo), PROBE_TIMEOUT * 2)
    if created.returncode != 0:
        raise RuntimeError(f"cannot create the repository: {restic.explain(restic.error_text(created.stderr))}")
    log(f"{destination.site}: created repository {destination.url}")


def backup_to(config: JobConfig, destination: Destination, paths: list[str], tags: list[str]) -> DestinationResult:
    result = DestinationResult(site=destination.site)
    repo = repository(config, destination)
    started = time.monotonic()
    try:
        reachable(destination.url, config.cacert)
        invocation = restic.backup(repo, paths, tags=tags, host=config.client, exclude=config.exclude)
        done = run_against(config, destination, invocation, config.destination_timeout)
        if done.returncode == 10:  # a new job, or a rebuilt site: create its repository once, then back up
            create_repository(config, destination)
            done = run_against(config, destination, invocation, config.destination_timeout)
        summary = restic.parse_backup(done.stdout)
        if done.returncode not in (0, 3) or summary is None:
            raise RuntimeError(f"{restic.meaning(done.returncode)}: {restic.explain(restic.error_text(done.stderr))}")
        result.ok = True
        result.snapshot_id = summary.snapshot_id
        result.files_new, result.files_changed = summary.files_new, summary.files_changed
        result.files_unmodified = summary.files_unmodified
        result.bytes_added, result.bytes_processed = summary.data_added, summary.total_bytes_processed
        if done.returncode == 3:
            result.error = "some files could not be read: " + restic.error_text(done.stderr)
    except (RuntimeError, OSError) as exc:
        result.error = str(exc)
    result.seconds = round(time.monotonic() - started, 3)
    status = f"snapshot {result.snapshot_id[:8]}" if result.ok else f"FAILED: {result.error}"
    log(f"{destination.site}: {status}")
    return result
