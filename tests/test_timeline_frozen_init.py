"""The timeline records' cheaper __init__ (timeline/frozen.fast_init) is the dataclass's own: same parameters
and defaults, same field values (positional, by keyword, defaults left out), still frozen; and it refuses the
classes whose __init__ does more (a default_factory, a __post_init__, not frozen)."""

from __future__ import annotations

import dataclasses
import inspect
import random

import pytest

from analyzer.timeline import facts, model
from analyzer.timeline.frozen import fast_init

FAST = [c for mod in (model, facts) for c in vars(mod).values()
        if isinstance(c, type) and c.__module__ == mod.__name__ and hasattr(c.__init__, "general")]


def _values(cls: type, rng: random.Random) -> list:
    # a distinct value per field (so that a field set from another parameter shows), of any type
    return [rng.choice([rng.randrange(1 << 40), f"v{rng.random()}", (rng.random(),), None, rng.random() > .5])
            for _ in dataclasses.fields(cls)]


def _state(obj: object) -> list:
    return [getattr(obj, f.name) for f in dataclasses.fields(obj)]


def test_the_hot_records_have_it():
    names = {c.__name__ for c in FAST}
    assert {"Step", "LadderRow", "Phase", "RequestTiming", "Connection", "Fetch", "Message"} <= names


@pytest.mark.parametrize("cls", FAST, ids=lambda c: c.__name__)
def test_fast_init_is_the_dataclass_one(cls):
    assert inspect.signature(cls.__init__) == inspect.signature(cls.__init__.general)
    rng = random.Random(cls.__name__)
    fields = dataclasses.fields(cls)
    required = sum(1 for f in fields if f.default is dataclasses.MISSING)
    for _ in range(50):
        values = _values(cls, rng)
        n = rng.randint(required, len(fields))          # the rest left to their defaults
        fast = cls(*values[:n])
        general = object.__new__(cls)
        cls.__init__.general(general, *values[:n])
        assert _state(fast) == _state(general)
        assert _state(fast)[:n] == values[:n]
        kw = {f.name: v for f, v in zip(fields, values)}
        assert _state(cls(**kw)) == values
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(fast, fields[0].name, 1)
    with pytest.raises(TypeError):
        cls(*_values(cls, rng), 1)                       # one too many


def test_it_refuses_what_it_cannot_do():
    @dataclasses.dataclass(frozen=True, slots=True)
    class Factory:
        a: list = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(slots=True)
    class Thawed:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Post:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    for cls in (Factory, Thawed, Post, NoSlots, facts.ConnFacts):
        with pytest.raises(TypeError):
            fast_init(cls)
