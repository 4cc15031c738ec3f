"""The OpenAPI document names each schema by its class name, and django-ninja keeps one class per name: a second
schema of the same name in another module silently stands for the first in the document (the resource hub's `NeedIn`
once replaced the grants' one, and a client built from the document would send the wrong body). So no two schema
classes of the project may share a name unless they describe the same thing."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator

from ninja import Schema


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_no_two_schemas_share_a_name_with_different_shapes():
    from shanlian.api import api

    api.get_openapi_schema()  # every router's modules imported, every schema class defined
    by_name: dict[str, set[type]] = defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("shanlian."):
            by_name[cls.__name__].add(cls)
    assert len(by_name) > 100  # the walk found the project's schemas
    clashes = {name: sorted(c.__module__ for c in classes) for name, classes in by_name.items()
               if len({json.dumps(c.model_json_schema(), sort_keys=True) for c in classes}) > 1}
    assert not clashes, f"schemas of one name and different shapes (rename one): {clashes}"
