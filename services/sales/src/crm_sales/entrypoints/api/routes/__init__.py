"""Routers: schema -> command -> handler -> schema, nothing more."""
