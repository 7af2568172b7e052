"""The API's one-pass JSON encoder gives the bytes FastAPI's generic encoder gave, for every kind of value the
flows answer with."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum, StrEnum

import pytest
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

from kabinet.web.api.answers import Encoded, JsonAnswer, encode


class Level(StrEnum):
    STANDARD = "standard"


class Count(Enum):
    ONE = 1


class Shape(BaseModel):
    at: datetime
    name: str


@dataclass(frozen=True)
class Inner:
    at: datetime
    when: date
    level: Level


@dataclass(frozen=True)
class Outer:
    id: uuid.UUID
    inner: Inner | None
    items: list[Inner]
    tags: tuple[str, ...]
    count: Count
    extra: dict[str, object]
    missing: str | None = None


AT = datetime(2026, 11, 30, 9, 15, 1, 123456, tzinfo=UTC)
INNER = Inner(at=AT, when=date(1980, 2, 29), level=Level.STANDARD)
CASES = [
    {"contacts": [Outer(uuid.uuid4(), INNER, [INNER, INNER], ("a", "б"), Count.ONE, {"k": [1, 2.5, None, True]})]},
    {"account": Outer(uuid.uuid4(), None, [], (), Count.ONE, {})},
    {"shape": Shape(at=AT, name="Иванов")},
    {"codes": ["12345678"] * 3, "n": 0, "flag": False},
    None,
]


@pytest.mark.parametrize("value", CASES)
def test_the_same_bytes_as_fastapis_encoder(value: object) -> None:
    ours = JsonAnswer(encode(value)).body
    theirs = JsonAnswer(jsonable_encoder(value)).body
    assert ours == theirs
    assert json.loads(ours) == json.loads(theirs)


def test_encoded_text_passes_fastapis_encoder_untouched_and_is_not_encoded_twice() -> None:
    once = encode({"a": AT})
    assert isinstance(once, Encoded) and jsonable_encoder(once) is once and encode(once) is once


def test_what_json_cannot_say_is_refused() -> None:
    with pytest.raises(TypeError):
        encode({"x": object()})
    with pytest.raises(ValueError):
        encode({"x": float("nan")})
