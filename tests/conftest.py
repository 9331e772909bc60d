import pytest

from tests.inventories import Inventory

# the lab's session fixtures (tests/lab/, tests/faults/lab/) and the fault suite's report
pytest_plugins = ["tests.lab_fixtures", "tests.faults.plugin"]


@pytest.fixture
def inv() -> Inventory:
    """A valid two-site inventory to break in one place."""
    return Inventory()
