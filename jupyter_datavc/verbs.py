"""How a verb and its arguments are described, and the argparse parser built from those descriptions.

Each verb is described once (in a module of :mod:`jupyter_datavc.commands`) with its arguments
and the function that runs it; ``%dv`` and ``datavc`` are both built from that, so they cannot drift.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

BOTH, MAGIC, CLI = "both", "magic", "cli"

REV_HELP = "NAME[@REV]: REV is vN, latest, a tag or a hash prefix (6+ hex), optionally ~k"


@dataclass(frozen=True)
class Arg:
    flags: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    where: str = BOTH


def arg(*flags: str, where: str = BOTH, **options: Any) -> Arg:
    return Arg(flags, options, where)


@dataclass(frozen=True)
class Verb:
    name: str
    help: str
    args: tuple[Arg, ...]
    run: Callable[[Any, argparse.Namespace], Any]  # (commands.Context, parsed arguments) -> view
    where: str = BOTH  # "magic": only in %dv (it needs a notebook), "cli": only in datavc


def build_parser(
    prog: str, target: str, parser_class: type[argparse.ArgumentParser], verbs: Iterable[Verb]
) -> argparse.ArgumentParser:
    """An argparse parser for ``target`` ("cli" or "magic") with one sub-command per verb."""
    parser = parser_class(prog=prog, description="Version datasets: add, checkout, load, log, diff.")
    if target == CLI:
        parser.add_argument("-C", dest="cwd", metavar="DIR", help="run as if started in DIR")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=parser_class)
    sub.required = True
    for verb in verbs:
        if verb.where not in (BOTH, target):
            continue
        p = sub.add_parser(verb.name, help=verb.help, description=verb.help)
        for a in verb.args:
            if a.where in (BOTH, target):
                p.add_argument(*a.flags, **a.options)
    return parser
