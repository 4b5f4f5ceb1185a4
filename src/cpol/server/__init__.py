"""The service (`cpol serve`, SPEC §5): the seeds' contact-policy API over a real database.

Needs the `server` extra. The command line reaches it only lazily, so `cpol` without the
extra still works; nothing else in cpol imports this package.
"""

from cpol.server.app import create_app
from cpol.server.settings import Settings

__all__ = ["Settings", "create_app"]
