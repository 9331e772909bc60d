"""inventory check's tables: every row while they fit, a summary per site and kind of job beyond."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from ikzops.cli import views
from ikzops.model.loader import load
from tests.lab.helpers import LAB


def printed(tables) -> str:
    screen = Console(file=StringIO(), width=250)
    for table in tables:
        screen.print(table)
    return screen.file.getvalue()


def test_a_small_inventory_shows_every_host_job_and_who_can_read_what():
    text = printed(views.partnership_overview(load(LAB)))
    assert "city-app" in text and "city-files" in text
    assert "Who can read whose data" in text and "trusted" in text


def test_beyond_the_detail_limit_the_tables_summarise_unless_full(monkeypatch):
    monkeypatch.setattr(views, "DETAIL_ROWS", 2)
    p = load(LAB)
    summary = printed(views.partnership_overview(p))
    assert "inventory check --full" in summary and "172.30.77.12" not in summary  # no row per host
    assert printed(views.partnership_overview(p, full=True)).count("inventory check --full") == 0
