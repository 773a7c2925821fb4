"""Hints for command lines click refuses: a global option given after the command."""

from __future__ import annotations

import shlex

import click

from triage.text import printable


def _value_options(group: click.Group) -> tuple[set[str], set[str]]:
    """The group's own options: those that take a value, and flags."""
    values: set[str] = set()
    flags: set[str] = set()
    for param in group.params:
        if isinstance(param, click.Option):
            names = set(param.opts) | set(param.secondary_opts)
            (flags if param.is_flag or param.count else values).update(names)
    return values, flags


def global_option_hint(group: click.Group, exc: click.NoSuchOption, args: list[str]) -> str | None:
    """For ``triage alerts --db x.db``: that ``--db`` belongs before the command, with the
    command line that works (``triage --db x.db alerts``). None for any other unknown option."""
    name = exc.option_name
    values, flags = _value_options(group)
    if name not in values and name not in flags:
        return None
    # Where the command starts: skip the global options (and their values) given before it.
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in values:
            i += 2
        elif arg.startswith("-") and arg != "-":
            i += 1
        else:
            break
    rest = args[i:]
    at = next((j for j, t in enumerate(rest) if t == name or t.startswith(name + "=")), None)
    if at is None:
        return f"{name} is a global option: put it before the command"
    moved = [rest[at]]
    if name in values and "=" not in rest[at]:
        moved.append(rest[at + 1] if at + 1 < len(rest) else name.lstrip("-").upper())
    fixed = args[:i] + moved + rest[:at] + rest[at + len(moved) :]
    line = printable("triage " + shlex.join(fixed), single_line=True)
    return f"{name} is a global option: put it before the command: {line}"
