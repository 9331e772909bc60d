"""A Debian daemon brought to its new settings exactly once per deploy."""

from __future__ import annotations

from pyinfra.api.operation import OperationMeta
from pyinfra.operations import systemd


def running(label: str, unit: str, *, restart_if: tuple[OperationMeta, ...] = (),
            reload_if: tuple[OperationMeta, ...] = ()) -> None:
    """``unit`` running and enabled; restarted when one of ``restart_if`` changed (its settings,
    its unit); otherwise reloaded (SIGHUP) when one of ``reload_if`` changed (its config).

    Never a reload right after a start or a restart: a Go daemon (Prometheus, Alertmanager)
    dies of a SIGHUP that arrives before it has installed its handler, and systemd counts a
    death by SIGHUP as a clean exit, which ``Restart=on-failure`` leaves down. A fresh start
    reads the new config anyway."""

    started = systemd.service(name=f"{label} running and enabled", service=unit, running=True, enabled=True)
    restarted = systemd.service(name=f"{label} restart (settings or unit changed)", service=unit, restarted=True,
                                _if=lambda: not started.did_change() and any(op.did_change() for op in restart_if))
    systemd.service(name=f"{label} reload (config changed)", service=unit, reloaded=True,
                    _if=lambda: (not started.did_change() and not restarted.did_change()
                                 and any(op.did_change() for op in reload_if)))
