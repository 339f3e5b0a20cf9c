"""crm_local: the `crm` command that runs the whole CRM platform on one machine."""
