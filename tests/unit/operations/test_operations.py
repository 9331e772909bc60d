"""ikzops' pyinfra operations, run by pyinfra itself against its fake connector with
scripted facts (tests/planning/fake_deploy.py): what they yield, and what they refuse."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FAKE = ROOT / "tests" / "planning" / "fake_deploy.py"


def deploy(tmp_path: Path, responses: dict[str, list[str]], operations: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run ``operations`` (deploy code) on one fake host whose facts answer ``responses``."""

    (tmp_path / "inventory.py").write_text(f"hosts = [('san', {{'fake_responses': {responses!r}}})]\n")
    (tmp_path / "ops.py").write_text(textwrap.dedent(operations))
    out = tmp_path / "out.json"
    done = subprocess.run([sys.executable, str(FAKE), str(out), str(tmp_path / "inventory.py"), str(tmp_path / "ops.py")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    commands = json.loads(out.read_text()).get("san", {}).get("commands", []) if out.exists() else []
    return done, commands


def test_a_lun_dropped_from_the_model_is_refused(tmp_path):
    done, _ = deploy(tmp_path, {"find /srv/san": ["/srv/san/a.img", "/srv/san/gone.img"]}, """
        from ikzops.operations import luns
        luns.no_lost_luns(name="no lost LUNs", pool_path="/srv/san", keep=["a"])
    """)
    assert done.returncode != 0
    assert "LUN(s) gone in /srv/san are no longer in the model" in done.stderr


def test_a_lun_dropped_with_allow_destroy_is_removed(tmp_path):
    done, commands = deploy(tmp_path, {"find /srv/san": ["/srv/san/a.img", "/srv/san/gone.img"]}, """
        from ikzops.operations import luns
        luns.no_lost_luns(name="no lost LUNs", pool_path="/srv/san", keep=["a"], allow_destroy=True)
    """)
    assert done.returncode == 0, done.stderr
    assert "rm -f -- /srv/san/gone.img" in commands


def test_a_logical_volume_grows_and_never_shrinks(tmp_path):
    lvs = {"lvs --noheadings": ["  vg0|ikz-a|1073741824"]}
    done, commands = deploy(tmp_path, lvs, """
        from ikzops.operations import luns
        luns.lvm_lun(name="grow", vg="vg0", lv="ikz-a", size=2147483648)
    """)
    assert done.returncode == 0, done.stderr
    assert "lvextend --size 2147483648b vg0/ikz-a" in commands
    done, _ = deploy(tmp_path, lvs, """
        from ikzops.operations import luns
        luns.lvm_lun(name="shrink", vg="vg0", lv="ikz-a", size=1024)
    """)
    assert done.returncode != 0 and "shrinking a LUN destroys data" in done.stderr


def test_a_stale_target_goes_only_with_allow_destroy(tmp_path):
    found = {"find /etc/tgt/conf.d": ["/etc/tgt/conf.d/ikzops-city.conf", "/etc/tgt/conf.d/ikzops-gone.conf"]}
    done, _ = deploy(tmp_path, found, """
        from ikzops.operations import tgt
        tgt.no_stale_targets(name="stale", keep=["city"])
    """)
    assert done.returncode != 0 and "partner(s) gone are no longer in the model" in done.stderr


def test_a_repository_volume_smaller_than_the_reservations_is_refused(tmp_path):
    done, commands = deploy(tmp_path, {"df -B1": ["1000 1000"]}, """
        from ikzops.operations import repository
        repository.volume(name="volume", path="/srv/repos", reserved=5000, user="u", group="g")
    """)
    assert done.returncode != 0 and "less than the 5000 bytes reserved" in done.stderr
    assert not any("mkdir" in c for c in commands)


def _modules(tmp_path: Path, pyc: list[str], uploaded: str | None = None) -> dict[str, list[str]]:
    """A host whose /opt/agent holds job.py (as ``uploaded``, default: this source) and whose
    __pycache__ holds ``pyc``."""

    source = tmp_path / "job.py"
    source.write_text("print('job')\n")
    digest = hashlib.sha256((uploaded or source.read_text()).encode()).hexdigest()
    return {
        "[ -d /opt/agent ]": ["directory", "stat f 644 root root job.py", f"{digest}  /opt/agent/job.py"],
        "[ -d /opt/agent/__pycache__ ]": ["directory", *[f"stat f 644 root root {name}" for name in pyc]],
    }


BYTE_COMPILED = """
    from ikzops.operations.files import byte_compiled
    byte_compiled(name="compiled", files={"/opt/agent/job.py": "job.py"})
"""


def test_modules_uploaded_and_compiled_are_left_alone(tmp_path):
    done, commands = deploy(tmp_path, _modules(tmp_path, ["job.cpython-313.pyc"]), BYTE_COMPILED)
    assert done.returncode == 0, done.stderr
    assert not any("compileall" in c for c in commands)


def test_a_module_without_byte_code_is_compiled(tmp_path):
    done, commands = deploy(tmp_path, _modules(tmp_path, []), BYTE_COMPILED)
    assert done.returncode == 0, done.stderr
    assert "python3 -m compileall -q /opt/agent" in commands


def test_a_module_about_to_be_uploaded_is_compiled_again(tmp_path):
    done, commands = deploy(tmp_path, _modules(tmp_path, ["job.cpython-313.pyc"], uploaded="old\n"), BYTE_COMPILED)
    assert done.returncode == 0, done.stderr
    assert "python3 -m compileall -q /opt/agent" in commands
