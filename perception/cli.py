"""Headless command line: `python main.py <command> ...`; with no command the GUI opens."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from perception.io.safe_text import one_line
from perception.pipeline.runner import PipelineStopped
from perception.types import InputError

COMMAND_MODULES = ["run", "track", "batch", "evaluate", "eval3d"]


class _Parser(argparse.ArgumentParser):
    """A parser whose usage errors are InputError (one `error:` line, exit 2), subcommands included."""

    def error(self, message: str):
        raise InputError(message)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every command registered."""
    parser = _Parser(prog="perception-studio",
                                     description="Online perception studio: segmentation, 3D mapping, tracking, memory.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"perception.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; bad input prints one line and returns 2, a runtime failure 1, Ctrl-C 130."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except InputError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except InputError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except PipelineStopped as exc:
        print(f"error: {one_line(str(exc))} (stopped by --on-error stop; outputs so far were written)", file=sys.stderr)
        return 1
    except OSError as exc:  # the machine, not the input: disk full, permissions changed mid-run, ...
        if args.verbose:
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {one_line((exc.strerror or str(exc)) + where)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: one line by default, the traceback with -v
        if args.verbose:
            raise
        print(f"error: internal error ({type(exc).__name__}: {one_line(str(exc))}); run with -v for the traceback",
              file=sys.stderr)
        return 1
