"""URL converters."""

from werkzeug.routing import IntegerConverter


class BoundedIntConverter(IntegerConverter):
    """`<int:id>` that never matches a number the database cannot store (a 404, not a 500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2_147_483_647)
        super().__init__(map, *args, **kwargs)
