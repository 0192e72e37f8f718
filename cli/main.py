"""``poolab [--db URL] [--operator NAME] COMMAND ...``"""

from __future__ import annotations

import getpass
import importlib
import os
import signal
import sys
from typing import Any

import click

from poolab.i18n import _, choose_language, set_process_language

from .collector import end_collector_pause, pause_collector
from .common import DEFAULT_DB, AppContext, HelpGroup, checked_operator

# The language is chosen before any option or command is declared: their help texts are
# translated as they are declared (command modules are imported later, on use), and Click's
# own texts ("Show this message and exit.") follow the same catalogue.
set_process_language(choose_language())
if choose_language() == "zh":
    # Click measures help in characters and breaks at spaces; Chinese has two-column
    # characters and no spaces (Context.formatter_class is Click's hook for this)
    from .wrap import WideFormatter

    click.Context.formatter_class = WideFormatter

# command name -> "module:attribute" in this package; modules are imported when the command is used or
# when --help lists them (they import only Click at the top, so that stays fast).
COMMANDS: dict[str, str] = {
    "init": "init:init",
    "compile": "compile:compile_kernels",
    "demo": "demo:demo",
    "roster": "roster:roster",
    "campaign": "campaign:campaign",
    "manifest": "sampling:manifest",
    "collect": "sampling:collect",
    "labels": "paper:labels",
    "receive": "lab:receive",
    "plate": "plate:plate",
    "results": "lab:results",
    "retest": "resolve:retest",
    "rerun": "resolve:rerun",
    "positives": "resolve:positives",
    "status": "resolve:status",
    "log": "log:log",
    "rounds": "rounds:rounds",
    "serve": "serve:serve",
    "estimate": "estimate:estimate",
    "plan": "plan:plan",
    "simulate": "simulate:simulate",
}


# Commands that run numba kernels: the first run after an install compiles them.
KERNEL_COMMANDS = frozenset({"campaign", "demo", "retest", "plan", "simulate", "estimate"})


_ANNOUNCER: list[Any] = []  # the one listener of this process, once registered


def _announce_compilation() -> None:
    """Say so once when numba compiles a kernel (a cache miss: the first run after an
    install without `poolab compile`), instead of seconds of silence."""
    if _ANNOUNCER:
        return
    from numba.core import event

    class Announce(event.Listener):
        said = False

        def on_start(self, _event: Any) -> None:
            if not self.said:
                self.said = True
                click.echo(_("compiling numeric kernels (first run only; `poolab compile` does it ahead)..."), err=True)

        def on_end(self, _event: Any) -> None:
            pass

    _ANNOUNCER.append(Announce())
    event.register("numba:compile", _ANNOUNCER[0])


class LazyGroup(HelpGroup):
    """A group that imports each subcommand's module only when it is needed, and turns
    what a command raises into one line for a person (a traceback only with --debug)."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name in KERNEL_COMMANDS:
            _announce_compilation()
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except BrokenPipeError:
            # the reader went away (`poolab ... | head`): stop quietly, as other tools do
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(1)
        except Exception as exc:
            # every command's errors end here: a library PoolabError is a message for a
            # person (exit 1), anything else a bug (exit 2) with its traceback under --debug
            from poolab.errors import PoolabError

            from .common import report_error

            if isinstance(exc, PoolabError):
                report_error(exc)
                ctx.exit(1)
            if ctx.params.get("debug"):
                raise
            if isinstance(exc, OSError) and exc.strerror:
                where = f"{exc.filename}: " if exc.filename else ""
                click.echo(_("Error: {message}").format(message=f"{where}{exc.strerror}"), err=True)
                ctx.exit(1)
            click.echo(
                _(
                    "Error: unexpected {kind}: {detail}\n"
                    "This is a bug in poolab. Run the command again with --debug (or POOLAB_DEBUG=1) "
                    "and send the traceback it prints."
                ).format(kind=type(exc).__name__, detail=str(exc)[:200]),
                err=True,
            )
            ctx.exit(2)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(f".{module_name}", __package__), attr)
        return command


def _default_operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (e.g. a container without passwd entry)
        return "unknown"


# The group's help: translated whole sentences; "\b" (Click: do not rewrap) stays out of them.
_HELP = (
    _("poolab: pooled PCR testing, from roster to confirmed positives.")
    + "\n\n\b\n"
    + _(
        "A day in a district:\n"
        "  poolab init\n"
        "  poolab roster import residents.csv\n"
        "  poolab campaign new day1\n"
        "  poolab manifest day1 -o day1-manifest.csv\n"
        "  poolab manifest day1 -o day1-manifest.pdf   # the sheet for the team\n"
        "  poolab labels day1 -o day1-labels.pdf       # tube labels\n"
        "  poolab receive day1 scans.txt\n"
        "  poolab plate new day1 -o day1-plates.csv    # plate maps\n"
        "  poolab results import day1 run1.txt         # the qPCR export\n"
        "  poolab retest day1 -o day1-retest.csv\n"
        "  poolab results import day1 retest-results.csv\n"
        "  poolab positives day1 -o day1-positives.csv"
    )
    + "\n\n"
    + _(
        "Day after day: `poolab campaign new day2 --after day1`, then `poolab rounds day2`.\n"
        "Planning: `poolab plan opchar`, `poolab plan optimize`, `poolab simulate`.\n"
        "Try it all on a synthetic district: `poolab demo`."
    )
)


@click.group(cls=LazyGroup, help=_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    envvar="POOLAB_DB",
    default=DEFAULT_DB,
    show_default=True,
    help=_(
        "The store: a SQLite file path (site2.db), or a URL: sqlite:///FILE, or "
        "postgresql://user@host/db for several sites sharing one store (needs poolab[pg]). Env: POOLAB_DB."
    ),
)
@click.option(
    "--operator",
    envvar="POOLAB_OPERATOR",
    default=None,
    help=_("Who is making the changes; recorded with every event. Env: POOLAB_OPERATOR. Default: the login name."),
)
@click.option(
    "--debug",
    is_flag=True,
    envvar="POOLAB_DEBUG",
    help=_("Show the full traceback of an unexpected error (for a bug report). Env: POOLAB_DEBUG=1."),
)
@click.version_option(package_name="poolab")
@click.pass_context
def cli(ctx: click.Context, db_url: str, operator: str | None, debug: bool) -> None:
    ctx.obj = AppContext(
        db_url=db_url,
        operator=checked_operator(operator) if operator is not None else _default_operator(),
        db_typed=ctx.get_parameter_source("db_url") is click.core.ParameterSource.COMMANDLINE,
    )
    ctx.call_on_close(ctx.obj.close)


def _interrupt(signum: int, _frame: Any) -> None:
    # `kill` (SIGTERM) stops a scan stream like Ctrl-C: what is pending is committed first
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    paused = pause_collector()  # already off when run as the console script (poolab_cli.entry)
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return cli.main(args=argv, prog_name="poolab")
    finally:
        if paused:
            end_collector_pause()


if __name__ == "__main__":
    main()
