"""Webhooks: endpoints a principal registers, deliveries of its events from the outbox,
signed per Standard Webhooks, retried with backoff by the sandbox clock."""
