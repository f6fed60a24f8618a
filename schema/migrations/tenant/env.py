from posmodern.schema.migrations import run_migrations

run_migrations()
