"""What every command shares: the global options' context and error reporting."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, NamedTuple, TypeVar

import click

from poolab.i18n import _

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DB = "sqlite:///poolab.db"


class AppContext:
    """Global options: the store URL and who is making the changes. ``db_typed``: the
    store was named on the command line (not by POOLAB_DB or the default), so the hints
    repeat it."""

    def __init__(self, db_url: str, operator: str, *, db_typed: bool = False) -> None:
        self.db_url = db_url
        self.operator = operator
        self.db_typed = db_typed
        self._stores: list[Any] = []

    def store(self, *, must_exist: bool = True) -> Any:
        """Open the store (imports SQLAlchemy only when a command needs it); it is
        closed when the command ends."""
        from poolab.store.engine import open_store

        store = open_store(self.db_url, must_exist=must_exist)
        self._stores.append(store)
        return store

    def close(self) -> None:
        """Release every connection the command opened."""
        for store in self._stores:
            store.dispose()
        self._stores.clear()


pass_app = click.make_pass_decorator(AppContext)


class Hint(NamedTuple):
    """A command to run next: its words after ``poolab`` (each one argument, quoted for a
    shell when printed; FILE and NAME stand for what the person fills in), and what it
    waits for, said before it ("as the new tubes arrive")."""

    words: tuple[str, ...]
    when: str = ""


def hint(*words: str, when: str = "") -> Hint:
    """``hint("receive", name, when=_("as the new tubes arrive"))`` (``when`` translated by the caller)."""
    return Hint(words, when)


def next_step(app: AppContext, *steps: Hint) -> None:
    """Say which commands come next in the day's loop, each ready to paste into a shell:
    every value quoted (a campaign called "day 1" stays one argument), and the store's
    --db only when it was typed on the command line (with POOLAB_DB set, the next
    command finds the same store without it)."""
    if not steps:
        return
    from poolab.store.engine import display_url

    db = ["--db", display_url(app.db_url)] if app.db_typed and app.db_url != DEFAULT_DB else []
    said = []
    for i, step in enumerate(steps):
        command = shlex.join(["poolab", *db, *step.words])
        if i == 0:
            said.append(
                _("next, {when}: {command}").format(when=step.when, command=command)
                if step.when
                else _("next: {command}").format(command=command)
            )
        else:
            said.append(
                _("then, {when}: {command}").format(when=step.when, command=command)
                if step.when
                else _("then {command}").format(command=command)
            )
    click.echo(_("; ").join(said))


def checked_operator(value: str) -> str:
    """``--operator`` as the library accepts it, or a usage error naming the problem."""
    from poolab.errors import PoolabError
    from poolab.operators import check_operator

    try:
        return check_operator(value)
    except PoolabError as exc:
        raise click.BadParameter(str(exc).removeprefix("--operator "), param_hint="--operator") from None


def report_error(exc: Exception) -> None:
    """Print a library error for a person: one paragraph; a refused file's first problems
    and, when there are more, the file that lists them all."""
    from poolab.errors import InputRejected

    if not isinstance(exc, InputRejected):
        click.echo(_("Error: {message}").format(message=exc), err=True)
        return
    from poolab.files.atomic import OutputFailed
    from poolab.files.problems import SHOWN, problems_path, write_problems

    click.echo(_("Error: {message}").format(message=exc.shown(SHOWN)), err=True)
    if len(exc.problems) > SHOWN:
        more = len(exc.problems) - SHOWN
        try:
            path = write_problems(exc.problems, problems_path(exc.problems[0].source))
        except OutputFailed as failed:  # a folder in its place, a full disk: say so, keep the refusal
            click.echo(
                _("  ... {more} more, not listed: the problems file failed: {reason}").format(more=more, reason=failed),
                err=True,
            )
            return
        click.echo(
            _("  ... {more} more; all {total} problems: {path}").format(more=more, total=len(exc.problems), path=path),
            err=True,
        )


def echo_json(obj: Any) -> None:
    """Print one JSON object on stdout (the ``--json`` contract)."""
    click.echo(json.dumps(obj, ensure_ascii=False, sort_keys=False))


def output_option(required: bool = True) -> Callable[[F], F]:
    """``-o/--output FILE`` for commands that write a CSV (``-`` is stdout)."""
    return click.option(
        "-o",
        "--output",
        "output",
        type=click.Path(dir_okay=False, allow_dash=True),
        required=required,
        help=_("CSV file to write (UTF-8 with a header row); '-' writes to stdout."),
    )


def output_target(value: str) -> str | BinaryIO:
    """What the library writes to for ``-o VALUE``: the path, or standard output for '-'."""
    return sys.stdout.buffer if value == "-" else value


def encoding_option(fn: F) -> F:
    """``--encoding`` for files that are neither UTF-8 nor GB18030 (the rare legitimate case)."""
    return click.option(
        "--encoding",
        metavar="ENC",
        help=_(
            "Read the file in this encoding (big5, latin-1, utf-16, ...). Without it: UTF-8, "
            "UTF-8 with BOM, or GB18030 when it clearly is; anything else is refused with a sample line."
        ),
    )(fn)


def unmasked_option(fn: F) -> F:
    """``--unmasked`` for exports that contain names and ID numbers."""
    return click.option(
        "--unmasked",
        is_flag=True,
        help=_("Write names and ID numbers in full (masked by default, e.g. 张*明)."),
    )(fn)


@contextmanager
def stderr_progress(unit: str | None = None) -> Iterator[Callable[[str, float, int], None]]:
    """A progress meter for a long step, on standard error when it is a terminal (quiet
    otherwise: a script or a log file gets no carriage returns); it counts ``unit``
    (translated by the caller; rows by default)."""
    from poolab.files.meter import TerminalMeter, no_progress

    if not sys.stderr.isatty():
        yield no_progress
        return
    meter = TerminalMeter(sys.stderr, unit=_("rows") if unit is None else unit)
    try:
        yield meter
    finally:
        meter.finish()


# Click's paragraph marker: the paragraph after it is printed as written (examples, lists);
# it stays outside the translated sentences.
VERBATIM = "\n\n\b\n"


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a CJK character takes two (the library's rule,
    ``poolab.reports.columns.width``)."""
    from poolab.reports.columns import width

    return width(text)


def pad(text: object, width: int, align: str = "<") -> str:
    """``text`` padded to ``width`` terminal columns (a table heading in Chinese lines up
    with its figures)."""
    from poolab.reports.columns import left, right

    shown = str(text)
    return left(shown, width) if align == "<" else right(shown, width)


def short_help(text: str | None, limit: int) -> str:
    """A Chinese help's line in its group's list (Click cuts at spaces, which Chinese has
    none of): its first sentence, cut at its last clause that fits (never inside
    brackets) when it is too wide."""
    sentence = " ".join((text or "").split("\n\n")[0].split()).split("。")[0]
    if display_width(sentence) <= limit:
        return sentence
    best, depth = 0, 0
    for i, c in enumerate(sentence):
        if c == "（" and depth == 0 and display_width(sentence[:i]) <= limit:
            best = i
        depth += (c == "（") - (c == "）")
        if c in "：；，" and depth == 0 and display_width(sentence[:i]) <= limit:
            best = i
    if best:
        return sentence[:best]
    kept = ""
    for c in sentence:
        if display_width(kept + c) > limit - 1:
            break
        kept += c
    return kept + "…"


class HelpGroup(click.Group):
    """A group whose list of commands summarises Chinese help texts too (English: Click's own)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from poolab.i18n import language

        commands = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                commands.append((name, cmd))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _cmd in commands)
            english = language() == "en"
            rows = [
                (
                    name,
                    cmd.get_short_help_str(limit) if english or cmd.short_help else short_help(cmd.help or "", limit),
                )
                for name, cmd in commands
            ]
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)
