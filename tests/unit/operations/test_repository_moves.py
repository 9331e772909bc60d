"""Where the deploy moves repositories of an earlier layout or owner (pure)."""

from __future__ import annotations

from ikzops import layout
from ikzops.model.loader import load
from ikzops.operations.repository import moves
from tests.unit.test_layout import ROOT

PLACES = {"city/app/files": ("app/files", "district/app/files")}


def test_a_repository_of_the_one_server_layout_moves_into_its_owners_directory():
    assert moves(frozenset({"app/files"}), PLACES) == ({"app/files": "city/app/files"}, [])


def test_a_repository_of_an_earlier_owner_moves_to_the_new_owner():
    assert moves(frozenset({"district/app/files"}), PLACES) == ({"district/app/files": "city/app/files"}, [])


def test_a_repository_in_its_place_stays_even_beside_an_old_copy():
    assert moves(frozenset({"city/app/files", "app/files"}), PLACES) == ({}, [])


def test_a_repository_at_two_earlier_places_is_left_for_a_person():
    found, problems = moves(frozenset({"app/files", "district/app/files"}), PLACES)
    assert found == {} and "app/files and district/app/files" in problems[0]


def test_a_new_job_has_nothing_to_move():
    assert moves(frozenset(), PLACES) == ({}, [])


def test_places_name_the_one_server_layout_and_every_other_partner():
    p = load(ROOT / "inventories/lab.py")
    places = layout.repository_places(p, "district-san")
    assert places["city/city-app/city-files"] == ("city-app/city-files", "district/city-app/city-files")
