"""newsletters: turn a clinic's Markdown articles into a responsive, accessible email."""

__version__ = "0.1.0"
