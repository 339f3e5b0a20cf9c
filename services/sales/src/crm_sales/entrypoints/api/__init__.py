"""The sales HTTP API: routers (thin), request and response schemas, dependencies."""
