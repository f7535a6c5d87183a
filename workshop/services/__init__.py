"""Use cases: domain rules + one transaction + its event-log row. No Flask here.

Each function takes the database session first and either returns what
changed or a domain Refusal, in which case nothing was written.
"""
