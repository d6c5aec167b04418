"""Fast decoding of contract messages, for consumers whose throughput is bound by it.

The pydantic models in ``contracts.py`` are the contract. Validating a message with pydantic and
writing it back as JSON took about 20 µs of the store consumer's ~100 µs per event; msgspec does
the same in about 6. So ``Codec`` derives msgspec structs from the pydantic models at import time
(field order, types, defaults and bounds; there is no second copy of the contract to keep in
step) and decodes with them in strict mode, refusing unknown fields, which accepts a subset of
what pydantic's lax mode does. Whatever msgspec refuses is handed to pydantic, the reference: a
message pydantic accepts (a number in a string, a Unix timestamp for a date, a field a newer
producer added, which pydantic ignores only once the whole document parses) is taken in its
normalised form, and one it refuses raises pydantic's ``ValidationError``, as ``from_bytes``
would. So are times with more than six decimals, which msgspec rounds and pydantic truncates. A
model feature this derivation cannot express (a validator, a setting, a constraint or a type it
does not know) fails at import, not at run time: see ``tests/test_codec.py``.

Output is msgspec's JSON: the model's fields in declaration order, compact, like pydantic's,
except that exponents are written ``1e16`` where pydantic writes ``1e+16``.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args, get_origin

import annotated_types
import msgspec
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

M = TypeVar("M", bound=BaseModel)

_SCALARS = (str, int, float, bool, dt.date, dt.datetime, type(None))
_MIRRORED_CONFIG = {"extra", "frozen", "title"}
_SUBMICROSECOND = re.compile(rb":\d\d\.\d{7}")
_BOUNDS = {annotated_types.Ge: "ge", annotated_types.Le: "le", annotated_types.Gt: "gt", annotated_types.Lt: "lt",
           annotated_types.MinLen: "min_length", annotated_types.MaxLen: "max_length"}


def struct_for(model: type[BaseModel], _made: dict | None = None) -> type[msgspec.Struct]:
    """The msgspec struct with ``model``'s fields, in its order, with its defaults and bounds."""
    made = {} if _made is None else _made
    if model in made:
        return made[model]
    decorators = model.__pydantic_decorators__
    if any((decorators.validators, decorators.field_validators, decorators.root_validators,
            decorators.model_validators, decorators.field_serializers, decorators.model_serializers,
            decorators.computed_fields)):
        raise TypeError(f"{model.__name__} has validators or serializers that msgspec cannot mirror")
    unmirrored = set(model.model_config) - _MIRRORED_CONFIG
    if unmirrored or model.model_config.get("extra", "ignore") != "ignore":
        raise TypeError(f"{model.__name__}: only the default, extra-ignoring configuration is mirrored, "
                        f"not {sorted(unmirrored) or model.model_config['extra']}")
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for name, info in model.model_fields.items():
        if info.alias not in (None, name) or info.validation_alias not in (None, name):
            raise TypeError(f"{model.__name__}.{name}: aliases are not mirrored")
        if info.exclude or getattr(info, "default_factory_takes_data", False):
            raise TypeError(f"{model.__name__}.{name}: exclusion and data-dependent defaults are not mirrored")
        kind = _translate(info.annotation, model, made)
        bounds = {}
        for meta in info.metadata:
            key = _BOUNDS.get(type(meta))
            if key is None:
                raise TypeError(f"{model.__name__}.{name}: constraint {meta!r} is not mirrored")
            bounds[key] = getattr(meta, key)
        if bounds:
            kind = _bounded(kind, msgspec.Meta(**bounds))
        if info.default_factory is not None:
            # a factory that takes the data was refused above, so this one takes no argument
            factory = typing.cast(typing.Callable[[], Any], info.default_factory)
            fields.append((name, kind, msgspec.field(default_factory=factory)))
        elif info.default is not PydanticUndefined:
            fields.append((name, kind, info.default))
        else:
            fields.append((name, kind))
    # keyword-only: required fields may follow optional ones, as in the model, and keep its order
    made[model] = msgspec.defstruct(model.__name__, fields, kw_only=True, forbid_unknown_fields=True)
    return made[model]


def _translate(annotation: Any, model: type[BaseModel], made: dict) -> Any:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_translate(a, model, made) for a in get_args(annotation))]  # noqa: UP007
    if origin is list:
        (item,) = get_args(annotation)
        return types.GenericAlias(list, (_translate(item, model, made),))  # list[...] of a computed type
    if origin is Literal:
        return annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return struct_for(annotation, made)
    if annotation in _SCALARS:
        return annotation
    raise TypeError(f"{model.__name__}: type {annotation!r} is not mirrored")


def _bounded(kind: Any, meta: msgspec.Meta) -> Any:
    """Bounds apply to the value, not to its absence: ``int | None`` becomes ``Annotated[int, meta] | None``."""
    if get_origin(kind) is typing.Union:
        return typing.Union[tuple(a if a is type(None) else Annotated[a, meta] for a in get_args(kind))]  # noqa: UP007
    return Annotated[kind, meta]


class Codec(Generic[M]):
    """Decode a message of one contract model into its canonical JSON and that JSON as Python data."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.struct = struct_for(model)
        self._decoder = msgspec.json.Decoder(self.struct)
        self._encoder = msgspec.json.Encoder()

    def decode(self, raw: bytes, clear: tuple[str, ...] = ()) -> tuple[bytes, dict]:
        """(canonical JSON, its data: dates and times as ISO strings). Raises pydantic's
        ``ValidationError`` for a message the contract refuses. The fields in ``clear`` (optional
        ones) are null in the canonical JSON and keep their value in the data."""
        try:
            if _SUBMICROSECOND.search(raw):
                raise ValueError("sub-microsecond times: pydantic truncates them, msgspec rounds")
            value = self._decoder.decode(raw)
        except (msgspec.MsgspecError, ValueError):  # ValueError: also invalid UTF-8 in a string
            # the reference decides; its own output is strict JSON of the model, which msgspec takes
            value = self._decoder.decode(self.model.model_validate_json(raw).model_dump_json())
        data = msgspec.to_builtins(value)
        if clear:
            value = msgspec.structs.replace(value, **dict.fromkeys(clear))
        return self._encoder.encode(value), data
