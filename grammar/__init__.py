"""The tipasp grammar (tipasp.lark), shipped as package data."""
