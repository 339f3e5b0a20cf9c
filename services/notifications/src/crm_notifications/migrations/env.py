from crm_notifications.adapters.orm import Base
from servicekit.migrations import run_env

run_env(Base.metadata)
