"""Search across tickets, docs and runs: providers registered by kind (see providers.py)."""

from .providers import SearchHit, register_search_provider, search  # noqa: F401
