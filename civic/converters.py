"""Path converters. `<id:pk>` is a database id: at most 18 digits, so a larger number is simply not a
route (404) instead of an integer the database cannot hold (a 500 on PostgreSQL's bigint and
advisory-lock keys alike)."""


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
