import pytest

from tests.inventories import Inventory


@pytest.fixture
def inv() -> Inventory:
    """A valid two-site inventory to break in one place."""
    return Inventory()
