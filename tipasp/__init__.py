"""tipasp: who can learn what, in a protocol or a data flow."""

__version__ = "0.1.0"
