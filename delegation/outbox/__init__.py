"""Outgoing notifications: pure intents, recipients and retries (model), the transactional outbox (service), texts."""
