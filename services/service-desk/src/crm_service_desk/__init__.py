"""crm_service_desk."""
