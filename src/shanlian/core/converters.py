"""The `id` path converter: a row id of 1 to 18 digits. Django's `int` matches any number of digits, and a
20-digit id reached the database as an integer no column can hold (a 500 on SQLite and PostgreSQL); with
`<id:pk>` in pages and `{id:pk}` in the API such an address is simply not found."""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))


register_converter(IdConverter, "id")
