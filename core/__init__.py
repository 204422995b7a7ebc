"""The ground floor: what every app may use; it imports no app of the portal.

Queueing through the outbox, PDF rendering, number allocation, form widgets and admin bases, the
resilient cache. Below it stands only the settlement engine (the top-level package ``engine``: pure Python,
standard library only), whose ``money`` module is the portal's one amount parser and rounding.
"""
