"""Request and response schemas of the sales API, one module per resource family."""
