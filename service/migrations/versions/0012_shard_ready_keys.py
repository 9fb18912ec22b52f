"""shard-ready keys: subject_id in every subject table's keys; lookup tables for the rules
that span subjects

Every table holding a subject's data gets ``subject_id`` in its primary key and in each of
its unique constraints, and the foreign keys between subject tables carry it
(docs/scaling.md, "The one schema rule"). Each primary key keeps its old columns first
(``(id, subject_id)``), so a lookup by id alone still uses it.

``account_versions`` loses its surrogate ``id`` (nothing referred to it): its key is the
natural ``(account_id, version, subject_id)``, which was already unique.

Two rules that a unique constraint held on a subject table move to lookup tables of their
own, backfilled here from the rows there: ``account_refs`` (a furnisher's ``account_ref``
names one account; it was ``UNIQUE (furnisher_id, account_ref)`` on ``accounts``) and
``national_ids`` (a national id belongs to one subject; it was ``UNIQUE (national_id)`` on
``subjects``). Non-unique indexes keep finding an account by its reference and a subject by
their national id. (The third, an idempotency key per caller, was already its own table.)

PostgreSQL changes the constraints in place. SQLite cannot: each table is rebuilt (SQLite's
"other kinds of table schema changes" procedure) with foreign keys off, which ``env.py``
does for every migration, and with its indexes and triggers (the file-revision triggers of
migrations 0004 to 0010) created again as they were.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 20:00:00.000000
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


@dataclass(frozen=True)
class _Fk:
    name: str
    columns: tuple[str, ...]
    referred: str
    referred_columns: tuple[str, ...]


@dataclass
class _Keys:
    """A table's keys (primary, unique, foreign to subject tables) in one revision."""

    pk: tuple[str, ...]
    uniques: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fks: tuple[_Fk, ...] = ()


_ID = ("id",)
_ID_SUBJECT = ("id", "subject_id")

#: Before (0011) and after (0012), for every table whose keys change, parents first.
_BEFORE: dict[str, _Keys] = {
    "subjects": _Keys(_ID, {"uq_subjects_national_id": ("national_id",)}),
    "accounts": _Keys(_ID, {"uq_accounts_furnisher_id": ("furnisher_id", "account_ref")}),
    "account_versions": _Keys(
        _ID,
        {"uq_account_versions_account_id": ("account_id", "version")},
        (_Fk("fk_account_versions_account_id_accounts", ("account_id",), "accounts", _ID),),
    ),
    "inquiries": _Keys(_ID),
    "public_records": _Keys(_ID),
    "disputes": _Keys(_ID),
    "item_flags": _Keys(
        _ID, fks=(_Fk("fk_item_flags_dispute_id_disputes", ("dispute_id",), "disputes", _ID),)
    ),
    "statements": _Keys(
        _ID,
        {"uq_statements_dispute_id": ("dispute_id",)},
        (_Fk("fk_statements_dispute_id_disputes", ("dispute_id",), "disputes", _ID),),
    ),
    "consents": _Keys(_ID),
    "freezes": _Keys(_ID),
    "fraud_alerts": _Keys(_ID),
    "notices": _Keys(_ID),
    "score_receipts": _Keys(_ID),
    "lender_scores": _Keys(
        ("receipt_id",),
        fks=(
            _Fk(
                "fk_lender_scores_receipt_id_score_receipts",
                ("receipt_id",),
                "score_receipts",
                _ID,
            ),
            _Fk("fk_lender_scores_consent_id_consents", ("consent_id",), "consents", _ID),
        ),
    ),
    "lender_decisions": _Keys(
        _ID,
        {"uq_lender_decisions_receipt_id": ("receipt_id",)},
        (
            _Fk(
                "fk_lender_decisions_receipt_id_lender_scores",
                ("receipt_id",),
                "lender_scores",
                ("receipt_id",),
            ),
            _Fk("fk_lender_decisions_consent_id_consents", ("consent_id",), "consents", _ID),
        ),
    ),
}

_AFTER: dict[str, _Keys] = {
    "subjects": _Keys(_ID),
    "accounts": _Keys(_ID_SUBJECT),
    "account_versions": _Keys(
        ("account_id", "version", "subject_id"),
        fks=(
            _Fk(
                "fk_account_versions_account_id_accounts",
                ("account_id", "subject_id"),
                "accounts",
                _ID_SUBJECT,
            ),
        ),
    ),
    "inquiries": _Keys(_ID_SUBJECT),
    "public_records": _Keys(_ID_SUBJECT),
    "disputes": _Keys(_ID_SUBJECT),
    "item_flags": _Keys(
        _ID_SUBJECT,
        fks=(
            _Fk(
                "fk_item_flags_dispute_id_disputes",
                ("dispute_id", "subject_id"),
                "disputes",
                _ID_SUBJECT,
            ),
        ),
    ),
    "statements": _Keys(
        _ID_SUBJECT,
        {"uq_statements_dispute_id": ("dispute_id", "subject_id")},
        (
            _Fk(
                "fk_statements_dispute_id_disputes",
                ("dispute_id", "subject_id"),
                "disputes",
                _ID_SUBJECT,
            ),
        ),
    ),
    "consents": _Keys(_ID_SUBJECT),
    "freezes": _Keys(_ID_SUBJECT),
    "fraud_alerts": _Keys(_ID_SUBJECT),
    "notices": _Keys(_ID_SUBJECT),
    "score_receipts": _Keys(_ID_SUBJECT),
    "lender_scores": _Keys(
        ("receipt_id", "subject_id"),
        fks=(
            _Fk(
                "fk_lender_scores_receipt_id_score_receipts",
                ("receipt_id", "subject_id"),
                "score_receipts",
                _ID_SUBJECT,
            ),
            _Fk(
                "fk_lender_scores_consent_id_consents",
                ("consent_id", "subject_id"),
                "consents",
                _ID_SUBJECT,
            ),
        ),
    ),
    "lender_decisions": _Keys(
        _ID_SUBJECT,
        {"uq_lender_decisions_receipt_id": ("receipt_id", "subject_id")},
        (
            _Fk(
                "fk_lender_decisions_receipt_id_lender_scores",
                ("receipt_id", "subject_id"),
                "lender_scores",
                ("receipt_id", "subject_id"),
            ),
            _Fk(
                "fk_lender_decisions_consent_id_consents",
                ("consent_id", "subject_id"),
                "consents",
                _ID_SUBJECT,
            ),
        ),
    ),
}

#: Non-unique indexes that find by what a dropped unique constraint covered.
_FIND_INDEXES = {
    "ix_accounts_furnisher_id_account_ref": ("accounts", ("furnisher_id", "account_ref")),
    "ix_subjects_national_id": ("subjects", ("national_id",)),
}


def _create_lookups() -> None:
    op.create_table(
        "account_refs",
        sa.Column("furnisher_id", sa.String(length=40), nullable=False),
        sa.Column("account_ref", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["furnisher_id"],
            ["principals.id"],
            name=op.f("fk_account_refs_furnisher_id_principals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("furnisher_id", "account_ref", name=op.f("pk_account_refs")),
    )
    op.create_table(
        "national_ids",
        sa.Column("national_id", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("national_id", name=op.f("pk_national_ids")),
    )
    op.execute(
        "INSERT INTO account_refs (furnisher_id, account_ref, subject_id, account_id) "
        "SELECT furnisher_id, account_ref, subject_id, id FROM accounts"
    )
    op.execute(
        "INSERT INTO national_ids (national_id, subject_id) "
        "SELECT national_id, id FROM subjects WHERE national_id IS NOT NULL"
    )


# --- PostgreSQL: constraints changed in place ------------------------------------------------


def _pg_change(before: dict[str, _Keys], after: dict[str, _Keys]) -> None:
    for table, keys in reversed(before.items()):
        for fk in keys.fks:
            op.drop_constraint(fk.name, table, type_="foreignkey")
        for name in keys.uniques:
            op.drop_constraint(name, table, type_="unique")
    for table in before:
        if before[table].pk != after[table].pk:
            op.drop_constraint(f"pk_{table}", table, type_="primary")
            op.create_primary_key(f"pk_{table}", table, list(after[table].pk))
    for table, keys in after.items():
        for name, columns in keys.uniques.items():
            op.create_unique_constraint(name, table, list(columns))
        for fk in keys.fks:
            op.create_foreign_key(
                fk.name,
                table,
                fk.referred,
                list(fk.columns),
                list(fk.referred_columns),
                ondelete="CASCADE",
            )


# --- SQLite: each table rebuilt --------------------------------------------------------------


def _sqlite_rebuild(
    table: str,
    before: _Keys,
    after: _Keys,
    *,
    drop_columns: tuple[str, ...] = (),
    add_integer_id: bool = False,
) -> None:
    """Rebuild ``table`` with ``after``'s keys in place of ``before``'s: a new table made from
    the old one's reflected columns and other constraints, its rows copied, the old one
    dropped, the new one renamed, then its indexes and triggers made again from their SQL."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    saved = bind.exec_driver_sql(
        "SELECT type, name, sql FROM sqlite_master "
        "WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
        (table,),
    ).all()
    old_fks = {fk.name for fk in before.fks}
    columns = [
        sa.Column(
            c["name"],
            c["type"],
            nullable=c["nullable"] and c["name"] not in after.pk,
            server_default=sa.text(c["default"]) if c["default"] is not None else None,
        )
        for c in inspector.get_columns(table)
        if c["name"] not in drop_columns
    ]
    kept = [c.name for c in columns]
    if add_integer_id:
        columns.insert(0, sa.Column("id", sa.Integer(), nullable=False))
    metadata = sa.MetaData()
    foreign: list[tuple[list[str], str, list[str], str | None, str | None]] = [
        (
            fk["constrained_columns"],
            fk["referred_table"],
            fk["referred_columns"],
            fk["name"],
            fk["options"].get("ondelete"),
        )
        for fk in inspector.get_foreign_keys(table)
        if fk["name"] not in old_fks
    ]
    foreign += [
        (list(fk.columns), fk.referred, list(fk.referred_columns), fk.name, "CASCADE")
        for fk in after.fks
    ]
    constraints: list[sa.Constraint] = [sa.PrimaryKeyConstraint(*after.pk, name=f"pk_{table}")]
    for fk_columns, referred, referred_columns, name, ondelete in foreign:
        # The referred table, as far as the constraint's DDL needs it.
        stub = metadata.tables.get(referred)
        if stub is None:
            stub = sa.Table(referred, metadata)
        for column in referred_columns:
            if column not in stub.c:
                stub.append_column(sa.Column(column, sa.String()))
        constraints.append(
            sa.ForeignKeyConstraint(
                fk_columns,
                [f"{referred}.{c}" for c in referred_columns],
                name=name,
                ondelete=ondelete,
            )
        )
    for uq in inspector.get_unique_constraints(table):
        if uq["name"] not in before.uniques:
            constraints.append(sa.UniqueConstraint(*uq["column_names"], name=uq["name"]))
    for name, uq_columns in after.uniques.items():
        constraints.append(sa.UniqueConstraint(*uq_columns, name=name))
    for check in inspector.get_check_constraints(table):
        constraints.append(sa.CheckConstraint(sa.text(check["sqltext"]), name=check["name"]))
    new = sa.Table(f"_shard_ready_{table}", metadata, *columns, *constraints)
    new.create(bind)
    names = ", ".join(f'"{c}"' for c in kept)
    bind.exec_driver_sql(
        f'INSERT INTO "{new.name}" ({names}) SELECT {names} FROM "{table}"'
        + (" ORDER BY rowid" if add_integer_id else "")
    )
    bind.exec_driver_sql(f'DROP TABLE "{table}"')
    bind.exec_driver_sql(f'ALTER TABLE "{new.name}" RENAME TO "{table}"')
    for kind, name, sql in saved:
        if kind == "index" and name in _FIND_INDEXES:
            continue
        bind.exec_driver_sql(sql)


def _sqlite_change(
    before: dict[str, _Keys], after: dict[str, _Keys], *, upgrading: bool
) -> None:
    bind = op.get_bind()
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        # A table dropped with foreign keys on would delete its children's rows (ON DELETE
        # CASCADE): env.py turns them off around the migrations.
        raise RuntimeError("migration 0012 must run with SQLite's foreign keys off")
    # The rename below must not re-parse the other tables' triggers while a table they name
    # is away (SQLite 3.26+ would), nor rewrite references to it.
    bind.exec_driver_sql("PRAGMA legacy_alter_table = ON")
    try:
        for table in after:
            _sqlite_rebuild(
                table,
                before[table],
                after[table],
                drop_columns=("id",) if upgrading and table == "account_versions" else (),
                add_integer_id=not upgrading and table == "account_versions",
            )
    finally:
        bind.exec_driver_sql("PRAGMA legacy_alter_table = OFF")
    problems = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if problems:
        raise RuntimeError(f"migration 0012 broke foreign keys: {problems[:5]}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_change(_BEFORE, _AFTER)
        op.drop_column("account_versions", "id")
    else:
        _sqlite_change(_BEFORE, _AFTER, upgrading=True)
    for name, (table, columns) in _FIND_INDEXES.items():
        op.create_index(name, table, list(columns))
    _create_lookups()


def downgrade() -> None:
    op.drop_table("national_ids")
    op.drop_table("account_refs")
    for name, (table, _) in _FIND_INDEXES.items():
        op.drop_index(name, table_name=table)
    if op.get_bind().dialect.name == "postgresql":
        # Numbered in the order they were written (their key: account, then version).
        op.add_column("account_versions", sa.Column("id", sa.Integer(), nullable=True))
        op.execute(
            "UPDATE account_versions AS v SET id = n.id FROM ("
            "SELECT account_id, version, row_number() OVER (ORDER BY at, account_id, version)"
            " AS id FROM account_versions) AS n "
            "WHERE v.account_id = n.account_id AND v.version = n.version"
        )
        op.execute("CREATE SEQUENCE account_versions_id_seq OWNED BY account_versions.id")
        op.execute(
            "SELECT setval('account_versions_id_seq', coalesce(max(id), 0) + 1, false) "
            "FROM account_versions"
        )
        op.alter_column(
            "account_versions",
            "id",
            nullable=False,
            server_default=sa.text("nextval('account_versions_id_seq')"),
        )
        _pg_change(_AFTER, _BEFORE)
    else:
        _sqlite_change(_AFTER, _BEFORE, upgrading=False)
