"""The ground floor: what every app may use and what imports no app of the portal.

Queueing through the outbox, money parsing, number allocation, the resilient cache.
``core.money`` is pure Python (the settlement engine uses it and imports no Django).
"""
