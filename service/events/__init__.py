"""Events: each change that matters, written in the transaction of the change (an outbox),
told only to those who may see it; read as a feed and delivered by the webhooks."""
