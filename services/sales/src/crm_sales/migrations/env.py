"""Alembic environment: the sales tables plus the platform tables (run_env adds them)."""

from crm_sales.adapters.orm import Base
from servicekit.migrations import run_env

run_env(Base.metadata)
