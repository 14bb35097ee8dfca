"""newsdesk: a Python engine for running a news portal."""

__version__ = "0.1.0"
