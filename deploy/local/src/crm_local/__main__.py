"""`python -m crm_local ...` is the `crm` command."""

from crm_local.cli import app

app(prog_name="crm")
