"""Watch rules, the outbox, digest rendering and mail transports."""
