"""A FAQ bot for Telegram and LINE. Importing the package has no side effects."""
