"""The delivery worker finds the events not yet fanned out by their partial index, on SQLite
and on PostgreSQL: its pass runs ten times a second, and a statement the index does not
match reads every event ever written (the outbox only grows)."""

from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

from service.core import clock
from service.webhooks import service as webhooks
from service.webhooks.models import WebhookEndpoint

INDEX = "ix_events_unfanned"


def _plan(connection: Connection, statement: str, parameters: Any) -> str:
    """The database's plan for the statement, as text."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(str(row[-1]) for row in rows)
    # Sequential scans priced out: the plan takes the index wherever the index can serve.
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    try:
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        return "\n".join(str(row[0]) for row in rows)
    finally:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = on")


def _events_statements(engine: Engine, session: Session, endpoints: bool) -> list[str]:
    """The plans of the statements a fan-out runs on ``events`` that look for the events
    not yet fanned out (``endpoints``: with an enabled endpoint, which claims them first)."""
    seen: list[tuple[str, Any]] = []

    def _seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        where = statement.partition("WHERE")[2]
        if "events" in statement.partition("WHERE")[0] and "fanned_out" in where:
            seen.append((statement, parameters))

    if endpoints:
        session.add(
            WebhookEndpoint(
                id="whe_plan",
                principal_id="sub_plan",
                url="http://127.0.0.1:9/hooks",
                event_types=["inquiry.recorded"],
                secret="whsec_plan",
                enabled=True,
                created_at=clock.now(session),
            )
        )
        session.flush()
    event.listen(engine, "before_cursor_execute", _seen)
    try:
        webhooks.fan_out(session, now=clock.now(session))
    finally:
        event.remove(engine, "before_cursor_execute", _seen)
    connection = session.connection()
    return [_plan(connection, s, p) for s, p in seen]


@pytest.mark.parametrize("endpoints", [False, True], ids=["marked", "claimed"])
def test_the_worker_finds_events_not_fanned_out_by_their_index(
    engine: Engine, session: Session, endpoints: bool
) -> None:
    plans = _events_statements(engine, session, endpoints)
    assert plans, "the fan-out looked for no events"
    for plan in plans:
        assert INDEX in plan, plan
