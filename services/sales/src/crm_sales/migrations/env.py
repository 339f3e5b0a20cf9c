from servicekit.migrations import run_env
from sqlalchemy import MetaData

# The service's own tables arrive with its issue; the platform tables are added by run_env.
run_env(MetaData())
