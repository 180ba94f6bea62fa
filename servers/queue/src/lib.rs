//! Durable work queues with leases, retries, dead letters and idempotency: embedded and Redis Streams backends.
