"""Compare a restored tree with the manifest recorded at backup time.

``python3 -m ikzops_agent.drill_check RESTORE_ROOT MANIFEST_PATH`` prints JSON:
files and bytes checked, and every mismatch (missing file, size, sha256 or mode).
The manifest lists ``sha256 size mode path`` with absolute paths as backed up;
they are looked up under RESTORE_ROOT.
"""

from __future__ import annotations

import json
import os
import stat
import sys

from .fileio import sha256_file
from .manifest import parse_line


def check(root: str, manifest: str, limit: int = 200) -> dict:
    files = bytes_checked = mismatched = 0
    mismatches = []
    with open(os.path.join(root, manifest.lstrip("/")), encoding="utf-8") as handle:
        for line in handle:
            digest, size, mode, path = parse_line(line)
            restored = os.path.join(root, path.lstrip("/"))
            files += 1
            problem = None
            try:
                info = os.lstat(restored)
            except FileNotFoundError:
                problem = "missing"
            else:
                if info.st_size != size:
                    problem = f"size {info.st_size} != {size}"
                elif f"{stat.S_IMODE(info.st_mode):04o}" != mode:
                    problem = f"mode {stat.S_IMODE(info.st_mode):04o} != {mode}"
                else:
                    bytes_checked += info.st_size
                    if sha256_file(restored) != digest:
                        problem = "sha256 differs"
            if problem:
                mismatched += 1
                if len(mismatches) < limit:
                    mismatches.append({"path": path, "problem": problem})
    return {"files": files, "bytes": bytes_checked, "mismatched": mismatched, "mismatches": mismatches}


def main(argv: list[str]) -> int:
    try:
        result = check(argv[0], argv[1])
    except (OSError, ValueError) as exc:
        result = {"files": 0, "bytes": 0, "mismatches": [], "error": f"cannot read the manifest: {exc}"}
    print(json.dumps(result))
    return 0 if not result.get("mismatched") and not result.get("error") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
