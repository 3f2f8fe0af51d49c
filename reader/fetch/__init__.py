"""Fetching feeds over HTTP: the shared client, address safety, and bounded body decoding."""

from reader.fetch.client import ACCEPT_PAGE, USER_AGENT, Fetcher
from reader.fetch.netguard import GuardedNetworkBackend, is_public_address

__all__ = ["ACCEPT_PAGE", "USER_AGENT", "Fetcher", "GuardedNetworkBackend", "is_public_address"]
