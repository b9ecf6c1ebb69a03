"""sifsim: agent-based simulation of social investment funds (see README.md)."""

__version__ = "0.1.0"
