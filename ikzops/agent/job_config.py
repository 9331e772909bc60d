"""A backup job's settings on its client (``/etc/ikzops/jobs/<job>/job.json``, 0600).

Written by the control host (:func:`ikzops.layout.job_config`), read by the agent: one
typed shape for both. No secret is in it, only the paths of the files holding them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

CONFIG_DIR = "/etc/ikzops/jobs"


@dataclass(frozen=True)
class Destination:
    site: str
    url: str
    #: an S3 destination: the files holding this client's access key id and secret key
    s3_key_file: str | None = None
    s3_secret_file: str | None = None


@dataclass(frozen=True)
class JobConfig:
    job: str
    client: str
    site: str
    partnership: str
    paths: list[str]
    destinations: list[Destination]
    password_file: str
    state_dir: str
    dump_dir: str
    manifest: str
    exclude: list[str] = field(default_factory=list)
    hooks: dict = field(default_factory=dict)
    #: the client's REST user name and the file holding its password
    rest_user: str | None = None
    rest_password_file: str | None = None
    cacert: str | None = None
    metrics_dir: str | None = None
    catch_up_runs: int = 10
    rpo_seconds: int = 0
    #: how long a destination may stay unreachable, or keep failing, during one run
    give_up_after: int = 600
    destination_timeout: int = 3 * 3600
    #: a LUN job: per LUN its name, backing ("file" | "lvm"), device (file or LV path), vg,
    #: size and the IQN of the target serving it (lun_image.py); its images are ``paths``
    luns: list[dict] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> JobConfig:
        known = {name for name in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["destinations"] = [Destination(**d) for d in data["destinations"]]
        return cls(**values)

    @classmethod
    def load(cls, job: str, directory: str = CONFIG_DIR) -> JobConfig:
        with open(os.path.join(directory, job, "job.json"), encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))
