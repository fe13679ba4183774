"""A median that runs in the database on PostgreSQL and on SQLite (the suite runs on both).

PostgreSQL has the ordered-set aggregate percentile_cont. SQLite has no median built in: the
same aggregate is registered on the connection as a Python aggregate, the way Django itself adds
STDDEV_POP and VAR_POP to SQLite; rows are still read and reduced by the database engine, one
value per group, never fetched into the view.
"""

import statistics

from django.db.models import Aggregate, FloatField


class _SQLiteMedian:
    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(float(value))

    def finalize(self):
        return statistics.median(self.values) if self.values else None


class Median(Aggregate):
    function = "INDICATOR_MEDIAN"
    name = "Median"
    output_field = FloatField()
    allow_distinct = False
    empty_result_set_value = None

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Registered on the connection that compiles (and then runs) the query: cheap, idempotent.
        connection.ensure_connection()
        connection.connection.create_aggregate(self.function, 1, _SQLiteMedian)
        return self.as_sql(compiler, connection, **extra_context)
