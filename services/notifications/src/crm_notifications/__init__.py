"""crm_notifications."""
