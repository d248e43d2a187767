"""A cheaper ``__init__`` for the timeline's frozen, slotted dataclasses (the records made per step, per ladder
row, per request: tens of thousands per 100k frames).

A frozen dataclass's generated ``__init__`` sets each field with ``object.__setattr__(self, "name", value)``:
a global lookup, an attribute lookup and a call by name per field (~0.77 us for 8 fields on CPython 3.11).
:func:`fast_init` replaces it with one that calls each slot's own descriptor (``Cls.__dict__[name].__set__``,
bound once when the class is made): the same parameters, defaults and values, the class still frozen
(assignment after ``__init__`` still raises), ~0.45 us for 8 fields. Classes with a ``default_factory``,
an ``init=False`` or keyword-only field, or a ``__post_init__`` are refused (their ``__init__`` does more).
The dataclass's own ``__init__`` is kept as ``Cls.__init__.general`` (the tests compare the two).
"""

from __future__ import annotations

import dataclasses
from typing import Any


def fast_init(cls: type) -> type:
    """Give the frozen, slotted dataclass ``cls`` the ``__init__`` described in the module docstring."""
    params = dataclasses.fields(cls)
    if not cls.__dataclass_params__.frozen or "__slots__" not in cls.__dict__ \
            or hasattr(cls, "__post_init__"):
        raise TypeError(f"fast_init: {cls.__name__} is not a frozen, slotted dataclass without __post_init__")
    ns: dict[str, Any] = {}
    args, body = [], []
    for i, f in enumerate(params):
        if not f.init or f.kw_only or f.default_factory is not dataclasses.MISSING:
            raise TypeError(f"fast_init: {cls.__name__}.{f.name} needs the dataclass's own __init__")
        if f.default is dataclasses.MISSING:
            args.append(f.name)
        else:
            ns[f"_d{i}"] = f.default
            args.append(f"{f.name}=_d{i}")
        ns[f"_s{i}"] = cls.__dict__[f.name].__set__
        body.append(f"    _s{i}(self, {f.name})\n")
    src = "def __init__(self, " + ", ".join(args) + "):\n" + ("".join(body) or "    pass\n")
    exec(src, ns)       # noqa: S102 - generated from the field names above, as dataclasses does
    init = ns["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = dict(cls.__init__.__annotations__)
    init.general = cls.__init__
    cls.__init__ = init
    return cls
