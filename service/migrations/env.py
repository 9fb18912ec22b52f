from alembic import context
from sqlalchemy import Connection

from service.core.db import make_engine
from service.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    if connection.dialect.name != "sqlite":
        with context.begin_transaction():
            context.run_migrations()
        return
    # SQLite rebuilds a table to change its keys (a new table, the rows copied, the old one
    # dropped): with foreign keys on, dropping the old one would delete its children's rows
    # (ON DELETE CASCADE). So they are off while migrating (SQLite's own procedure, "Making
    # other kinds of table schema changes"; the pragma does nothing inside a transaction,
    # hence on the driver's connection before it begins), checked before the commit, and on
    # again after.
    raw = connection.connection.driver_connection
    assert raw is not None  # noqa: S101
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if problems:
                raise RuntimeError(f"the migrations broke foreign keys: {problems[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None  # noqa: S101
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run 'clearfile db upgrade'.")
run_migrations_online()
