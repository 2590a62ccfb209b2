"""A pydantic validation error as the one line a user can act on: key path, problem, fix."""

from __future__ import annotations

import difflib

from pydantic import BaseModel, ValidationError

FRACTION_LIMITS = {"less_than": "lt", "less_than_equal": "le"}
"""Error types whose limit of 1 marks a fraction (a percentage written as 15 instead of 0.15)."""


def describe_error(err: ValidationError, root: type[BaseModel]) -> str:
    """The most relevant problem as "key.path: what is wrong; how to fix it": an unknown key gets
    the nearest valid one of its table in `root` ("did you mean"), a fraction out of range says so."""
    first = err.errors()[0]
    location = [str(part) for part in first["loc"]]
    key_path = ".".join(location) or "(top level)"
    if first["type"] == "extra_forbidden":
        known = _known_keys(location[:-1], root)
        hint = difflib.get_close_matches(location[-1], known, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; valid keys: {', '.join(known)}"
        return f"{key_path}: unknown key{suggestion}"
    message = first["msg"].removeprefix("Value error, ")
    limit = FRACTION_LIMITS.get(first["type"])
    if limit is not None and first.get("ctx", {}).get(limit) == 1:
        message += " (a fraction: 0.15 is 15%)"
    return f"{key_path}: {message}"


def _known_keys(location: list[str], root: type[BaseModel]) -> list[str]:
    model = root
    for part in location:
        if part.isdigit():
            continue  # an index into a list of models
        annotation = model.model_fields[part].annotation
        args = getattr(annotation, "__args__", ())
        if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            annotation = args[0]  # list[Model]
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)
