"""Accounts of the platform: people who contribute, moderate or administer, and their credentials.

Stored in the private accounts graph (never public); see ``docs/accounts.md``. Permissions live in
:mod:`kg.permissions`.
"""

from kg.accounts.model import Account, Identity, IssuedToken, TokenInfo
from kg.accounts.store import AccountStore

__all__ = ["Account", "AccountStore", "Identity", "IssuedToken", "TokenInfo"]
