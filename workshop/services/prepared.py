"""Statements compiled once per database and run on the driver's own cursor.

For the vote, the hot path of a room voting at once: SQLAlchemy's per-call work
(building the parameters, the execution context, the result wrapper) costs more
than SQLite running the statement. A `Prepared` keeps SQLAlchemy's compilation
(the dialect's SQL and paramstyle) and its type conversions (the same bind
processors, so a date or a JSON payload is stored exactly as the ORM stores it),
done once, and leaves the rest to the driver: sqlite3 and psycopg both cache the
prepared statement.
"""

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import TextClause


class Prepared:
    def __init__(self, clause: TextClause) -> None:
        self.clause = clause
        self._compiled: dict[str, tuple[str, list[str] | None, dict[str, Callable]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, list[str] | None, dict[str, Callable]]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.clause.compile(dialect=dialect)
            processors = {}
            for name, bind in compiled.binds.items():
                processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    processors[name] = processor
            order = list(compiled.positiontup) if compiled.positional else None
            found = self._compiled[dialect.name] = (str(compiled), order, processors)
        return found

    def run(self, connection, dialect: Dialect, params: Mapping[str, Any]):
        """Execute on a DBAPI connection; returns the driver's cursor."""
        sql, bind = self._binder(dialect)
        cursor = connection.cursor()
        cursor.execute(sql, bind(params))
        return cursor

    def _binder(self, dialect: Dialect):
        """The SQL and a function from named params to what the driver takes."""
        sql, order, processors = self._for(dialect)

        def bind(params: Mapping[str, Any]):
            values = {name: processors[name](value) if name in processors else value
                      for name, value in params.items()}
            return [values[name] for name in order] if order is not None else values

        return sql, bind

    def run_many(self, connection, dialect: Dialect, rows: list[Mapping[str, Any]]) -> None:
        """The same statement for each row, in order, in the caller's transaction."""
        if not rows:
            return
        sql, bind = self._binder(dialect)
        connection.cursor().executemany(sql, [bind(params) for params in rows])
