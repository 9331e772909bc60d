"""A bucket as boto3's S3 client sees it, for the agent's unit tests (scrub, bucket)."""


class FakeBody:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def iter_chunks(self, size: int):
        for start in range(0, len(self.content), size):
            yield self.content[start:start + size]


class FakeS3:
    """A bucket's objects as a gateway serves them (``refuse``: the code every request gets)."""

    def __init__(self, objects: dict[str, bytes], refuse: str | None = None, now: float = 1_800_000_000.0) -> None:
        self.objects, self.refuse, self.now = objects, refuse, now

    def _answer(self, operation: str):
        from botocore.exceptions import ClientError

        if self.refuse:
            raise ClientError({"Error": {"Code": self.refuse, "Message": "no"}}, operation)

    def get_paginator(self, operation: str):
        from datetime import UTC, datetime

        self._answer(operation)
        contents = [{"Key": key, "Size": len(body), "LastModified": datetime.fromtimestamp(self.now, UTC)}
                    for key, body in self.objects.items()]
        return type("Pages", (), {"paginate": lambda _, **kwargs: [
            {"Contents": [c for c in contents if c["Key"].startswith(kwargs.get("Prefix", ""))]}]})()

    def get_object(self, Bucket: str, Key: str):  # noqa: N803 - boto3's names
        self._answer("GetObject")
        return {"Body": FakeBody(self.objects[Key])}
