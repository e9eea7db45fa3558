"""Alembic environment: binds the URL from greensword.core.migrate and all domain models."""

from alembic import context

from greensword.core.db import Base, load_all_models, make_engine

load_all_models()
config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    if not url.startswith("sqlite"):
        engine = engine.execution_options()  # pooled engine is fine for one migration run
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()



if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
