"""crm_reporting."""
