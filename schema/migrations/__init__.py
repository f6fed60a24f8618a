"""Alembic migrations: ``control/`` (the tenant registry) and ``tenant/`` (every tenant's tables).

Never run by the ``alembic`` command line: :mod:`posmodern.schema.migrate` passes an open
connection, already in a transaction and pointed at the right schema, through
``config.attributes``; both folders' ``env.py`` call :func:`run_migrations`.
"""

from alembic import context


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Autogenerate compares our tables only, never Alembic's own version table."""
    return not (type_ == "table" and name == "alembic_version")


def run_migrations() -> None:
    """Run the migrations of the current Alembic context on the connection it was given."""
    config = context.config
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=config.attributes["metadata"],
        version_table_schema=config.attributes.get("version_table_schema"),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()
