"""inbox-tui: a team inbox for customer-support agents that lives in the terminal."""

__version__ = "0.1.0"
