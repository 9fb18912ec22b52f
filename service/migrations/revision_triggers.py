"""The triggers that replace ``subjects.file_revision`` when a row about a subject changes
(migration 0004 made the first; later migrations add tables to them). For migrations only:
each migration names its own tables, so what it creates never changes with this code."""

from alembic import op

#: Migration 0004's trigger function (PostgreSQL).
FUNCTION = "subjects_new_file_revision"
#: SQLite has no trigger functions: each trigger sets a new random revision itself.
NEW_REVISION = "UPDATE subjects SET file_revision = lower(hex(randomblob(8)))"
SQLITE_EVENTS = (
    ("INSERT", "NEW.subject_id"),
    ("UPDATE", "OLD.subject_id, NEW.subject_id"),
    ("DELETE", "OLD.subject_id"),
)


def _trigger(table: str, event: str = "") -> str:
    return f"trg_{table}_new_file_revision{event and '_' + event.lower()}"


#: SQLite: the condition under which a trigger made by ``create(deferrable=True)`` fires,
#: false while a transaction defers them (migration 0010, ``service.core.row_triggers``).
NOT_DEFERRED = "NOT EXISTS (SELECT 1 FROM row_trigger_deferrals WHERE name = 'file_revisions')"


def create(tables: tuple[str, ...], *, deferrable: bool = False) -> None:
    """A change to any row of ``tables`` (each with ``subject_id``) replaces the revision;
    ``deferrable`` (SQLite; on PostgreSQL the function decides) unless the writing
    transaction defers them."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    when = f" WHEN {NOT_DEFERRED}" if deferrable else ""
    for table in tables:
        if postgresql:
            op.execute(
                f"CREATE TRIGGER {_trigger(table)} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            )
            continue
        for event, rows in SQLITE_EVENTS:
            op.execute(
                f"CREATE TRIGGER {_trigger(table, event)} AFTER {event} ON {table} "
                f"FOR EACH ROW{when} BEGIN {NEW_REVISION} WHERE id IN ({rows}); END"
            )


def drop(tables: tuple[str, ...]) -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in tables:
        if postgresql:
            op.execute(f"DROP TRIGGER {_trigger(table)} ON {table}")
            continue
        for event, _ in SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER {_trigger(table, event)}")
