"""crm_customers."""
