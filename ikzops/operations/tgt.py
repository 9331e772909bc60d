"""Operations for tgt, the userspace iSCSI target: one config file per partner's target."""

from __future__ import annotations

from pyinfra import host
from pyinfra.api import OperationError, QuoteString, StringCommand, operation
from pyinfra.facts.files import FindFiles

CONF_D = "/etc/tgt/conf.d"


def config_path(partner: str) -> str:
    return f"{CONF_D}/ikzops-{partner}.conf"


@operation(is_idempotent=False)
def target_apply(iqn: str, chap_user: str):
    """Apply one target's changed config (run it only when the config changed: ``_if=``).

    tgt-admin cannot change a live account's password, so the target and its account are
    removed and added anew (sessions of this target reconnect; other targets are untouched).
    """

    yield StringCommand("tgt-admin", "--delete", QuoteString(iqn), "-f", "||", "true")
    yield StringCommand("tgtadm", "--lld", "iscsi", "--op", "delete", "--mode", "account", "--user",
                        QuoteString(chap_user), "2>/dev/null", "||", "true")
    yield StringCommand("tgt-admin", "--update", QuoteString(iqn), "-c", "/etc/tgt/targets.conf")


def configured_partners() -> list[str]:
    found = host.get_fact(FindFiles, path=CONF_D, maxdepth=1, fname="ikzops-*.conf") or []
    return sorted(path.rsplit("/", 1)[-1].removeprefix("ikzops-").removesuffix(".conf") for path in found)


@operation()
def no_stale_targets(keep: list[str], allow_destroy: bool = False):
    """Target configs of partners that left this host go only with ``--allow-destroy``."""

    stale = sorted(set(configured_partners()) - set(keep))
    if not stale:
        host.noop("every ikzops target config is in the model")
        return
    if not allow_destroy:
        raise OperationError(
            f"target(s) of partner(s) {', '.join(stale)} are no longer in the model; removing them "
            "cuts their initiators off. ikzops refuses: put them back, or run `ikzops deploy --allow-destroy` "
            "(ikzops-failover-* serve LUNs restored here by `ikzops restore --lun` under their old IQN)"
        )
    for partner in stale:
        config = QuoteString(config_path(partner))
        yield StringCommand(
            "iqn=$(sed -n 's/^<target \\(.*\\)>$/\\1/p'", config, ");",
            "[ -n \"$iqn\" ] && tgt-admin --delete \"$iqn\" -f;", "rm", "-f", config,
        )
