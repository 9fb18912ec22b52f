"""The one schema rule of docs/scaling.md, checked on the whole SQLAlchemy metadata: every
table holding a subject's data has ``subject_id`` in its primary key and in each of its
unique constraints and unique indexes, and its foreign keys to other subject tables carry
``subject_id``. A table that breaks the rule fails here, unless it is listed below with the
reason it is distributed by another key."""

from sqlalchemy import Index, MetaData, Table, UniqueConstraint

from service.models import Base

#: The subjects table is distributed by its own id: the subject's id.
SUBJECTS = "subjects"

#: Tables with a ``subject_id`` column that are distributed by another column, with why.
#: Each must still hold its own distribution column in its primary key and unique keys.
DISTRIBUTED_BY_OTHER_KEY = {
    "account_refs": (
        "furnisher_id",
        "lookup: a furnisher's account_ref names one account (docs/scaling.md)",
    ),
    "national_ids": ("national_id", "lookup: a national id belongs to one subject"),
}

#: Tables with a ``subject_id`` column left out of the rule, with why (docs/scaling.md).
EXEMPT = {
    "audit_events": "keyed by chain (a subject's chain is named by the subject's id; the "
    "system chain by 'system'), distributed by chain: subject_id is who the event is about",
    "events": "the feed's order spans subjects, and subject_id is null for events about no "
    "subject: see 'events' in docs/scaling.md",
}

#: Tables known to hold a subject's data: the walk must find at least these.
KNOWN_SUBJECT_TABLES = {
    "subjects",
    "accounts",
    "account_versions",
    "inquiries",
    "public_records",
    "item_flags",
    "statements",
    "disputes",
    "consents",
    "freezes",
    "fraud_alerts",
    "notices",
    "score_receipts",
    "lender_scores",
    "lender_decisions",
}


def distribution_column(table: Table) -> str | None:
    """The column ``table`` is distributed by, if it is one the rule applies to."""
    if table.name == SUBJECTS:
        return "id"
    if table.name in EXEMPT:
        return None
    if table.name in DISTRIBUTED_BY_OTHER_KEY:
        return DISTRIBUTED_BY_OTHER_KEY[table.name][0]
    return "subject_id" if "subject_id" in table.c else None


def subject_tables(metadata: MetaData) -> dict[str, Table]:
    """Every table the rule applies to with ``subject_id`` as the key (subjects: by id)."""
    return {
        t.name: t
        for t in metadata.sorted_tables
        if distribution_column(t) == "subject_id" or t.name == SUBJECTS
    }


def violations(metadata: MetaData) -> list[str]:
    """What breaks the rule, one line each."""
    found: list[str] = []
    subject_names = set(subject_tables(metadata))
    for table in metadata.sorted_tables:
        key = distribution_column(table)
        if key is None:
            continue
        if key not in table.primary_key.columns:
            pk = [c.name for c in table.primary_key.columns]
            found.append(f"{table.name}: primary key {pk} lacks {key}")
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint) and key not in constraint.columns:
                names = [c.name for c in constraint.columns]
                found.append(f"{table.name}: unique {names} lacks {key}")
        for index in table.indexes:
            if isinstance(index, Index) and index.unique and key not in index.columns:
                names = [c.name for c in index.columns]
                found.append(f"{table.name}: unique index {index.name} {names} lacks {key}")
        for column in table.columns:
            if column.unique and column.name != key:
                found.append(f"{table.name}: column {column.name} is unique alone")
        if table.name not in subject_names or table.name == SUBJECTS:
            continue
        for fk in table.foreign_key_constraints:
            referred = fk.referred_table.name
            if referred == SUBJECTS or referred not in subject_names:
                continue
            pairs = {(e.parent.name, e.column.name) for e in fk.elements}
            if ("subject_id", "subject_id") not in pairs:
                found.append(f"{table.name}: foreign key to {referred} lacks subject_id")
    return found


def test_every_subject_table_has_subject_id_in_its_keys() -> None:
    assert violations(Base.metadata) == []


def test_the_walk_sees_the_known_subject_tables() -> None:
    seen = set(subject_tables(Base.metadata))
    assert KNOWN_SUBJECT_TABLES <= seen, KNOWN_SUBJECT_TABLES - seen
    # Every table with a subject_id column is checked, exempt (with a reason), or a lookup.
    with_column = {t.name for t in Base.metadata.sorted_tables if "subject_id" in t.c}
    assert with_column <= seen | set(EXEMPT) | set(DISTRIBUTED_BY_OTHER_KEY)
    assert set(EXEMPT) <= set(Base.metadata.tables)
    assert set(DISTRIBUTED_BY_OTHER_KEY) <= set(Base.metadata.tables)


def test_the_lookup_tables_hold_the_rules_that_span_subjects() -> None:
    tables = Base.metadata.tables
    pk = {name: [c.name for c in tables[name].primary_key.columns] for name in tables}
    assert pk["account_refs"] == ["furnisher_id", "account_ref"]
    assert pk["national_ids"] == ["national_id"]
    assert pk["idempotency_records"] == ["principal_id", "key"]


# --- the check itself fails on a table that breaks the rule ---------------------------------


def _broken(build: str) -> MetaData:
    from sqlalchemy import Column, ForeignKeyConstraint, String

    md = MetaData()
    Table("subjects", md, Column("id", String, primary_key=True))
    Table(
        "parents",
        md,
        Column("id", String, primary_key=True),
        Column("subject_id", String, primary_key=True),
    )
    columns = [Column("id", String, primary_key=True), Column("subject_id", String)]
    extra: list[object] = []
    if build == "pk":
        pass
    elif build == "unique":
        columns[1] = Column("subject_id", String, primary_key=True)
        columns.append(Column("ref", String, unique=True))
    elif build == "unique_index":
        columns[1] = Column("subject_id", String, primary_key=True)
        columns.append(Column("ref", String))
        extra.append(Index("ux_children_ref", "ref", unique=True))
    elif build == "fk":
        columns[1] = Column("subject_id", String, primary_key=True)
        columns.append(Column("parent_id", String))
        extra.append(ForeignKeyConstraint(["parent_id"], ["parents.id"]))
    Table("children", md, *columns, *extra)  # type: ignore[arg-type]
    return md


def test_the_check_finds_each_kind_of_break() -> None:
    assert violations(_broken("pk")) == ["children: primary key ['id'] lacks subject_id"]
    assert any("ref" in v for v in violations(_broken("unique")))
    assert any("ux_children_ref" in v for v in violations(_broken("unique_index")))
    assert violations(_broken("fk")) == ["children: foreign key to parents lacks subject_id"]
