"""Scrub benchmark: verify's pack hashing (``agent/scrub.py``) vs bare hashing of the same files.

On the repository host, side by side in one run, alternating which goes first, medians
of --repeat runs, the files in the page cache for both (the first run reads them):
ikzops: the scrub agent with a fresh state, so that every pack is new and hashed
(listing, every core, the comparison with the names, the state written). Bare: the same
pack files hashed by one Python process with hashlib and large reads, one after the
other (what `sha256sum` does, at hashlib's speed; coreutils' sha256sum is slower here).

    python -m bench.scrub [--size 1G] [--repeat 3] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import time

from bench.common import arguments, job_with_data, lab_up, ratio_results, remote_python, save, side_by_side, speed_table
from ikzops import execute, layout
from ikzops.execute import Command
from ikzops.model.units import format_size, parse_size
from ikzops.runners.ssh import connect

STATE = "/var/tmp/bench-scrub-state.json"

BARE = """
import hashlib, os, sys
for top, _, names in os.walk(os.path.join(sys.argv[1], "data")):
    for name in names:
        with open(os.path.join(top, name), "rb") as handle:
            hashlib.file_digest(handle, "sha256").hexdigest()
"""


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1G")
    parser.add_argument("--repeat", type=int, default=3)
    args = arguments(parser, argv, size="4M")
    size = parse_size(args.size)
    lab_up()
    with job_with_data("bench-scrub", "/srv/bench-scrub", size, "31") as (inventory, p, job, run, files):
        destination = layout.destination(p, job, "district")
        with connect(p.hosts[destination.host]) as host:
            scrubbed: list[dict] = []

            def ikzops() -> float:
                execute.run_remote(host, Command(("rm", "-f", STATE)))
                started = time.perf_counter()
                done = execute.run_remote(host, Command(layout.agent_argv("scrub", destination.path, STATE, str(size))))
                elapsed = time.perf_counter() - started
                scrubbed.append(json.loads(done.stdout))
                assert not scrubbed[-1]["damaged"] and scrubbed[-1]["hashed"]["new"] == scrubbed[-1]["packs"]
                return elapsed

            def bare() -> float:
                started = time.perf_counter()
                remote_python(host, BARE, destination.path)
                return time.perf_counter() - started

            bare()  # the page cache holds the packs for both from here on
            samples = side_by_side(args.repeat, ikzops=ikzops, bare=bare)
            execute.run_remote(host, Command(("rm", "-f", STATE)))
    packs, hashed = scrubbed[-1]["packs"], scrubbed[-1]["bytes"]
    results = ratio_results(samples, size_bytes=size, packs=packs, pack_bytes=hashed, repeat=args.repeat)
    ikz, plain, mb = results["ikzops_median_s"], results["bare_median_s"], hashed / 1e6
    markdown = speed_table(
        f"Scrub: verify's pack hashing vs bare hashlib over the same files ({format_size(hashed)} in {packs} packs, "
        f"median of {args.repeat})", mb,
        [("ikzops scrub (every pack new: listed, hashed on every core, compared with its name, state kept)", ikz),
         ("bare: one Python process, hashlib.file_digest per pack", plain)])
    return save("scrub", results, markdown, smoke=args.smoke)


if __name__ == "__main__":
    main()
