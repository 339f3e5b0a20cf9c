from crm_service_desk.adapters.orm import Base
from servicekit.migrations import run_env

run_env(Base.metadata)
