"""crm_sales."""
