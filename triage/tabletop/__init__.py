"""Tabletop exercises: scenarios, their replay into an isolated exercise, after-action minutes.

Core code: no UI toolkit here. The CLI (``triage.cli.tabletop``) and the terminal app drive the
``Replay`` engine and read its past-tense events."""
