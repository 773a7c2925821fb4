"""Screens and dialogs of the terminal app, one per file."""
