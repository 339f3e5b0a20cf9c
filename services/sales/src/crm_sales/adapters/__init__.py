"""Persistence and wire adapters: tables, repositories, event mapping."""
