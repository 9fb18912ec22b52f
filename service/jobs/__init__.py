"""Batch work that runs outside a request."""
