from datetime import UTC, datetime

from ikzops import templates
from ikzops.audit import con3, concept
from ikzops.model.loader import load
from ikzops.model.units import format_seconds, format_size
from tests.lab.helpers import LAB, ROOT

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def test_every_job_is_in_the_concept_with_its_place_in_the_restore_order():
    p = load(LAB)
    data = concept.build(p, [], NOW)
    assert {j["name"] for j in data["jobs"]} == set(p.jobs)
    for site in p.sites:
        assert data["restore_order"][site] == [j.name for j in p.restore_order(site)]
    city = data["restore_order"]["city"]
    assert city.index("city-files") < city.index("city-db")  # RTO 30m before 1h


def test_a_site_without_a_contact_is_a_deviation_of_a6():
    # example.py relies on the default: no contact
    data = concept.build(load(str(ROOT / "inventories/example.py")), [], NOW)
    assert {d["requirement"] for d in data["deviations"]} == {"CON.3.A6"}
    assert "city" in data["deviations"][0]["text"]


def test_a_layout_with_contacts_and_offsite_copies_has_no_deviation():
    assert concept.build(load(LAB), [], NOW)["deviations"] == []


def test_volume_and_change_rate_come_from_good_runs():
    run = {"kind": "backup", "job": "city-db", "status": 0, "finished": "2026-11-23T10:00:00+00:00",
           "destinations": {"city": {"ok": True, "bytes_processed": 1 << 30, "bytes_added": 1 << 20}}}
    measured = concept.measured([run], NOW, per_day_runs=24)
    assert measured["volume_bytes"] == 1 << 30 and measured["change_bytes_per_day"] == 24 << 20


def test_the_markdown_concept_names_each_requirement_and_every_job():
    p = load(LAB)
    text = templates.render("audit/concept.md.j2", c=concept.build(p, [], NOW), req=con3.title,
                            fmt=format_seconds, size=format_size)
    for requirement in ("CON.3.A1", "CON.3.A2", "CON.3.A6", "CON.3.A12", "CON.3.A13", "CON.3.A14"):
        assert requirement in text
    for job in p.jobs:
        assert f"| {job} |" in text


def test_html_escapes_what_the_inventory_wrote():
    data = concept.build(load(LAB), [], NOW)
    data["sites"][0]["partner"] = "<script>alert(1)</script>"
    html = templates.render("audit/concept.html.j2", c=data, req=con3.title, fmt=format_seconds, size=format_size)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
