"""How the world reaches the sales service: HTTP routes and the customers-events consumer."""
