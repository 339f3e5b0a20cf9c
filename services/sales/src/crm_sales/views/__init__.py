"""Read side: queries that return response schemas directly, scoped to the reader."""
