"""Every default of the schema is validated and converted like a value an admin wrote.

A default that stays raw (``give_up_after = "10m"`` as a string) breaks whoever reads
it; the lab inventory sets most values, so only this test meets every default.
"""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import TypeAdapter
from pydantic_core import PydanticUndefined

from ikzops.model import schema

#: the fewest written values each spec needs; a new spec must be added here
MINIMAL: dict[type[schema.Spec], dict] = {
    schema.SiteSpec: {"partner": "City IT"},
    schema.PartnerSpec: {"name": "City of Saarbrücken"},
    schema.CostsSpec: {},
    schema.PostgresHook: {"databases": ["housing"]},
    schema.Hooks: {},
    schema.Retention: {},
    schema.JobSpec: {"client": "app", "paths": ["/srv"], "rpo": "2h", "rto": "1h", "destinations": ["district"]},
    schema.PoolSpec: {"backing": "file", "size": "1G", "path": "/srv/san"},
    schema.LunSpec: {"partner": "city", "host": "san", "pool": "san", "size": "1G",
                     "initiators": ["iqn.2026-11.test.lab:app"]},
    schema.RepositorySpec: {},
    schema.S3Spec: {"endpoint": "https://rgw.example.org:7480"},
    schema.EmailReceiver: {"to": ["oncall@example.org"], "smarthost": "mail.example.org:25", "from": "ikzops@example.org"},
    schema.Receivers: {},
    schema.MonitoringSpec: {},
    schema.PartnershipSpec: {"ikz_partnership": "lab", "ikz_sites": {"city": {"partner": "City IT"}}},
    schema.HostSpec: {},
    schema.FirewallSpec: {"control": ["10.0.0.1"]},
    schema.FirewallRule: {"port": 443, "from": ["any"]},
}


def _specs() -> list[type[schema.Spec]]:
    found, todo = [], list(schema.Spec.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return sorted(found, key=lambda c: c.__name__)


def _defaulted_fields():
    for spec in _specs():
        for name, field in spec.model_fields.items():
            # a field the minimal example writes (a file pool's path) is not left to its default
            if field.default is not PydanticUndefined and name not in MINIMAL.get(spec, {}):
                yield pytest.param(spec, name, field, id=f"{spec.__name__}.{name}")


def test_every_spec_has_a_minimal_example():
    assert set(_specs()) <= set(MINIMAL), "add the new spec to MINIMAL"


@pytest.mark.parametrize(("spec", "name", "field"), list(_defaulted_fields()))
def test_default_is_converted_like_a_written_value(spec, name, field):
    annotation = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    written = TypeAdapter(annotation).validate_python(field.default)
    value = getattr(spec.model_validate(MINIMAL[spec]), name)
    assert type(value) is type(written)
    assert value == written


def test_job_default_give_up_after_is_ten_minutes():
    job = schema.JobSpec.model_validate(MINIMAL[schema.JobSpec])
    assert job.give_up_after.total_seconds() == 600
