"""Recovery benchmark: `recover run` and `reseed` against the bare restic commands, side by side.

One job of the given size on city-app (copies at the city and the district), backed up
once; medians of --repeat runs, alternating which goes first, each sample after a ``sync``.

* recover: `ikzops recover run --lost city --job bench-recover --yes` (plan, then the restore
  from the district onto district-app, the city's standby, every file verified and placed)
  against the sum of bare `restic restore`s of the same run on the district's repository
  host (local access, no network, no checks). One job: the sum is one restore.
* reseed: the job's repository at the city emptied, then `ikzops reseed --site city --job
  bench-recover` against the bare commands an administrator would type on city-san:
  `restic init --copy-chunker-params` and `restic copy` from the district's rest-server
  (the client's credential) into the local place.

    python -m bench.recover [--size 1G] [--repeat 3] [--smoke]
"""

from __future__ import annotations

import argparse
import time

from bench.common import arguments, bare_restore, job_with_data, lab_up, ratio_results, save, side_by_side, synced
from ikzops import execute, layout
from ikzops.agent import restic
from ikzops.execute import Command
from ikzops.model.units import format_size, parse_size
from ikzops.orchestrate import recover as recoveries
from ikzops.orchestrate import reseed as reseeds
from ikzops.orchestrate import restore as restores
from ikzops.progress import Recorder
from ikzops.runners import restic as runner
from ikzops.runners import ssh
from ikzops.runners.ssh import connect
from ikzops.secrets import credentials
from ikzops.secrets.store import SecretStore

JOB, DATA = "bench-recover", "/srv/bench-recover"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1G")
    parser.add_argument("--repeat", type=int, default=3)
    args = arguments(parser, argv, size="4M")
    size = parse_size(args.size)
    lab_up()
    with job_with_data(JOB, DATA, size, "29") as (inventory, p, job, run, files):
        snapshot = run.destinations["district"]["snapshot_id"]
        district, city = layout.destination(p, job, "district"), layout.destination(p, job, "city")
        with connect(p.hosts[district.host]) as district_san, connect(p.hosts[city.host]) as city_san, \
                connect(p.hosts["district-app"]) as standby:
            def recover() -> float:
                started = time.perf_counter()
                the_plan = recoveries.plan(inventory, lost="city", jobs=(JOB,), progress=Recorder())
                record, _ = recoveries.run(inventory, the_plan, restore=restores.restore, restore_lun=restores.restore_lun,
                                                progress=Recorder())
                elapsed = time.perf_counter() - started
                assert record.verdict == "recovered", record.jobs
                execute.run_remote(standby, Command(("rm", "-rf", DATA, recoveries.RECOVERED_DIR)))
                return elapsed

            def empty_city() -> None:
                execute.run_remote(city_san, Command(("rm", "-rf", city.path)))

            def reseed() -> float:
                empty_city()
                started = time.perf_counter()
                result = reseeds.reseed(inventory, site="city", jobs=(JOB,), progress=Recorder())[0]
                elapsed = time.perf_counter() - started
                assert not result.error and result.after >= 1, result
                return elapsed

            def bare_copy() -> float:
                empty_city()
                # the client's credential in the source URL, read from a file at run time (never on a command line)
                password = credentials.rest_password(SecretStore(p.name), job.client)
                url_file = f"{layout.RESTIC_CACHE}/.bench-from-url"
                ssh.write_file(city_san, url_file, district.url.replace("https://", f"https://{job.client}:{password}@"),
                               mode="0400")
                execute.run_remote(city_san, Command(("chown", layout.REST_SERVER_USER, url_file)))
                target = layout.local_repository(job, city)
                env, _ = restic._env(target)
                from_files = {"RESTIC_FROM_REPOSITORY": url_file}
                env.update(RESTIC_FROM_PASSWORD_FILE=layout.retention_password_file(JOB), RESTIC_CACERT=layout.CA_FILE)
                init = restic.Invocation(("restic", "init", "--copy-chunker-params"), env, from_files)
                copy = restic.Invocation(("restic", "copy"), env, from_files)
                try:
                    started = time.perf_counter()
                    runner.run(city_san, init, as_user=layout.REST_SERVER_USER)
                    runner.run(city_san, copy, as_user=layout.REST_SERVER_USER)
                    return time.perf_counter() - started
                finally:
                    execute.run_remote(city_san, Command(("rm", "-f", url_file)))

            # every sample after a sync: none pays the write-back of the gigabyte the one before wrote
            restored = side_by_side(args.repeat, synced(district_san), ikzops=recover,
                                    bare=lambda: bare_restore(district_san, job, district, snapshot))
            copied = side_by_side(args.repeat, synced(district_san), ikzops=reseed, bare=bare_copy)
            reseed()  # leave the city's copy whole for the cleanup
    recover_results = ratio_results(restored)
    reseed_results = ratio_results(copied)
    results = {"size_bytes": size, "files": files, "repeat": args.repeat,
               "recover": recover_results, "reseed": reseed_results,
               **{f"{kind}_{who}_s": r[f"{who}_s"] for kind, r in (("recover", recover_results), ("reseed", reseed_results))
                  for who in ("ikzops", "bare")},
               "recover_ratio": recover_results["ratio"], "reseed_ratio": reseed_results["ratio"]}
    r, s = recover_results, reseed_results
    markdown = (
        f"### Recovery: recover run and reseed vs bare restic ({format_size(size)}, {files} files, median of {args.repeat})\n\n"
        "| | ikzops | bare restic | ratio |\n|---|---|---|---|\n"
        f"| recover run --lost city (plan + restore onto the standby, verified, placed) vs restic restore on the "
        f"repository host | {r['ikzops_median_s']:.2f} s | {r['bare_median_s']:.2f} s | {r['ratio']:.2f} |\n"
        f"| reseed --site city vs restic init --copy-chunker-params + restic copy from the partner's rest-server | "
        f"{s['ikzops_median_s']:.2f} s | {s['bare_median_s']:.2f} s | {s['ratio']:.2f} |\n"
    )
    return save("recover", results, markdown, smoke=args.smoke)


if __name__ == "__main__":
    main()
