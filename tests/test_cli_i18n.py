"""The front end in the staff's language (issue 24): every command's and subcommand's
``--help`` under ``POOLAB_LANG=zh`` and under ``LANG=C.UTF-8``, a few messages as a person
sees them, and ``poolab --help`` staying light (no library beyond the catalogue imported).

The language is chosen once per process, as a command starts, so each language is read
in a process of its own (the Click tree walked there, its help texts sent back as JSON)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import click
import pytest

from poolab.i18n import use_language
from poolab_cli.common import HelpGroup, display_width, pad, short_help
from poolab_cli.wrap import wrap_text

CJK = re.compile(r"[\u4e00-\u9fff]")
# full-width punctuation: in Chinese sentences only (the English help quotes a few Chinese words, never these)
CHINESE_PUNCTUATION = re.compile(r"[，。：；（）“”]")

# Walk the whole command tree: each command's help as printed, and each option's help text.
_WALK = r"""
import json, click
from poolab_cli.main import cli

found = {}

def walk(command, path, parent):
    ctx = click.Context(command, info_name=path[-1], parent=parent)
    options = {}
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx) if isinstance(param, click.Option) else None
        if record is not None:
            options[record[0]] = record[1]
    found[" ".join(path)] = {"help": ctx.get_help(), "options": options}
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            walk(command.get_command(ctx, name), [*path, name], ctx)

walk(cli, ["poolab"], None)
print(json.dumps(found, ensure_ascii=False))
"""


def _env(**language: str) -> dict[str, str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "POOLAB_LANG"}
    }
    return {**clean, **language}


def _run(args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


@cache
def _tree(language: tuple[tuple[str, str], ...]) -> dict[str, dict[str, object]]:
    proc = _run([sys.executable, "-c", _WALK], _env(COLUMNS="80", **dict(language)))
    assert 0 == proc.returncode, proc.stderr
    tree: dict[str, dict[str, object]] = json.loads(proc.stdout)
    return tree


ZH = (("POOLAB_LANG", "zh"), ("LANG", "C.UTF-8"))
EN = (("LANG", "C.UTF-8"),)


def _poolab(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-c", "from poolab_cli.main import main; main()", *args], env, cwd)


def test_the_walk_reaches_every_command() -> None:
    """The tree holds the top commands and the subcommands of every group."""
    tree = _tree(ZH)
    for path in ("poolab", "poolab roster import", "poolab results watch", "poolab plate list", "poolab plan decode"):
        assert path in tree
    assert len(tree) >= 35


def test_every_help_opens_in_chinese() -> None:
    """Under POOLAB_LANG=zh each command's help starts with Click's Chinese usage line and
    says what the command does in Chinese, and no option's help is left in English."""
    english = []
    for path, page in _tree(ZH).items():
        text = str(page["help"])
        usage, _sep, rest = text.partition("\n\n")
        if not usage.startswith("用法：") or not CJK.search(rest.split("\n\n")[0]):
            english.append(f"{path}: {text[:80]!r}")
        options = page["options"]
        assert isinstance(options, dict)
        for option, help_text in options.items():
            if not CJK.search(help_text):
                english.append(f"{path} {option}: {help_text[:60]!r}")
    assert [] == english


def test_every_help_reads_in_english_under_the_c_locale() -> None:
    """Under LANG=C.UTF-8 the same pages are English as before: Click's English usage
    line, and no Chinese sentence anywhere (the few Chinese words the English quotes, such
    as 单采单检 or 张*明, have no Chinese punctuation around them)."""
    chinese = []
    tree = _tree(EN)
    assert set(tree) == set(_tree(ZH))
    for path, page in tree.items():
        text = str(page["help"])
        if not text.startswith("Usage: ") or "Show this message and exit." not in text:
            chinese.append(f"{path}: {text[:60]!r}")
        for line in text.splitlines():
            if CHINESE_PUNCTUATION.search(line):
                chinese.append(f"{path}: {line.strip()[:60]!r}")
    assert [] == chinese


def test_help_imports_no_library_beyond_the_catalogue() -> None:
    """`poolab --help` lists every command without importing numba, numpy, SQLAlchemy or
    reportlab (what keeps it under 0.3 s; the figure is in benchmarks/RESULTS.md), in
    either language."""
    script = (
        "import sys\n"
        "from poolab_cli.main import cli\n"
        "try:\n"
        "    cli.main(args=['--help'], prog_name='poolab')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('numba', 'numpy', 'sqlalchemy', 'sqlmodel', 'reportlab') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    for language in (ZH, EN):
        proc = _run([sys.executable, "-c", script], _env(**dict(language)))
        assert 0 == proc.returncode, proc.stderr
        assert "HEAVY []" in proc.stdout


def test_a_summary_and_its_next_step_in_chinese(tmp_path: Path) -> None:
    """What a command prints is Chinese: init's summary and its hint; the commands in the
    hint stay as typed."""
    db = f"sqlite:///{tmp_path / 'zh.db'}"
    zh = _poolab("--db", db, "init", env=_env(POOLAB_LANG="zh"))
    assert 0 == zh.returncode, zh.stderr
    assert zh.stdout.startswith("数据库 ")
    assert f"下一步：poolab --db {db} roster import FILE" in zh.stdout
    en = _poolab("--db", db, "init", env=_env(LANG="C.UTF-8"))
    assert f"next: poolab --db {db} roster import FILE" in en.stdout


def test_a_refusal_in_chinese_names_the_option(tmp_path: Path) -> None:
    """A front-end refusal is one Chinese line naming the option, with no traceback."""
    db = f"sqlite:///{tmp_path / 'zh.db'}"
    proc = _poolab("--db", db, "campaign", "new", "day1", "--risk-pool-size", "3", env=_env(LANG="zh_CN.UTF-8"))
    assert 1 == proc.returncode
    assert "错误：--risk-pool-size 需要同时给出 --risk-buildings FILE" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_roster_written_in_chinese_keeps_its_columns(tmp_path: Path) -> None:
    """The summary of `roster demo` is Chinese; the CSV it writes has the same English
    column names as under the C locale."""
    args = ("roster", "demo", "--residents", "30", "--households", "20", "--compounds", "2", "-o")
    zh = _poolab(*args, str(tmp_path / "zh.csv"), env=_env(POOLAB_LANG="zh"))
    en = _poolab(*args, str(tmp_path / "en.csv"), env=_env(LANG="C.UTF-8"))
    assert 0 == zh.returncode == en.returncode, zh.stderr + en.stderr
    assert "已写出" in zh.stderr and "30 名居民" in zh.stderr
    assert "wrote" in en.stderr
    assert (tmp_path / "zh.csv").read_bytes() == (tmp_path / "en.csv").read_bytes()


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("检测轮次及其混采管。", 60, "检测轮次及其混采管"),
        # too wide: cut at the last clause that fits, never inside brackets
        (
            "轮次 NAME 的采样清单：按走访顺序每位居民一行，写明每份拭子放入哪一管（条码）、第几位。",
            46,
            "轮次 NAME 的采样清单：按走访顺序每位居民一行",
        ),
        (
            "创建数据库，或把旧版 poolab 建的数据库升级（每一行都保留；结构迁移在一个事务中完成）。",
            50,
            "创建数据库，或把旧版 poolab 建的数据库升级",
        ),
        # no clause to cut at: cut where it fits and say so
        ("在合成辖区上跑完整个辖区流程每一步计时", 20, "在合成辖区上跑完整…"),
    ],
)
def test_a_chinese_summary_is_cut_at_a_clause(text: str, limit: int, expected: str) -> None:
    """A group's list shows a Chinese help's first sentence, cut to the width there is."""
    with use_language("zh"):
        shown = short_help(text, limit)
    assert expected == shown
    assert display_width(shown) <= limit


def test_an_english_list_of_commands_is_clicks_own() -> None:
    """In English a group lists its commands as Click does (first sentence, words whole)."""
    group = HelpGroup("g")
    group.add_command(click.Command("one", help="Lab reception: tube barcodes of campaign NAME, one per line."))
    group.add_command(click.Command("two", help="测试轮次及其混采管。其他。"))
    with use_language("en"):
        english = group.get_help(click.Context(group, info_name="g", terminal_width=60))
    one = group.commands["one"].get_short_help_str(60 - 6 - len("one"))
    assert f"  one  {one}\n" in english and one.startswith("Lab reception: tube barcodes")
    with use_language("zh"):
        chinese = group.get_help(click.Context(group, info_name="g", terminal_width=60))
    assert chinese.endswith("  two  测试轮次及其混采管")


def test_chinese_headings_line_up_by_display_width() -> None:
    """A CJK character takes two columns, so a Chinese heading pads to the same width as
    the figures under it."""
    assert 4 == display_width("轮次")
    assert "轮次    " == pad("轮次", 8)
    assert "    轮次" == pad("轮次", 8, ">")
    assert len(pad("round", 8)) == 8
    assert "toolongvalue" == pad("toolongvalue", 4)


def test_every_message_of_the_front_end_is_in_the_catalogue() -> None:
    """Every _() / ngettext() literal in cli/, as Python's parser reads it (Babel's extractor
    does not look inside f-strings), has a Chinese translation."""
    import ast

    from poolab.i18n import catalogue

    zh = catalogue("zh")
    missing = []
    for path in sorted((Path(__file__).resolve().parents[1] / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
                first = node.args[0]
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    continue
                if node.func.id == "_" and zh.gettext(first.value) == first.value:
                    missing.append(f"{path.name}:{node.lineno}: {first.value[:50]!r}")
                elif node.func.id == "ngettext" and zh.ngettext(first.value, first.value + "s", 1) == first.value:
                    missing.append(f"{path.name}:{node.lineno}: {first.value[:50]!r}")
    assert [] == missing


def _readme_language_block() -> list[tuple[list[str], str]]:
    """The README's "中文界面" block: each `$ ` command line and the output under it."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("\n## 中文界面: the staff's language\n", 1)[1].split("```", 2)[1]
    steps: list[tuple[list[str], str]] = []
    for line in block.strip("\n").splitlines():
        if line.startswith("$ "):
            steps.append((shlex.split(line[2:]), ""))
        else:
            words, said = steps[-1]
            steps[-1] = (words, said + line + "\n")
    return steps


def test_the_readme_shows_both_languages_as_they_are(tmp_path: Path) -> None:
    """Each command of the README's language section, run as written (its VAR=value words
    its environment), prints exactly what the README shows, in English and in Chinese."""
    steps = _readme_language_block()
    assert len(steps) >= 3
    languages = set()
    for words, expected in steps:
        settings = dict(w.split("=", 1) for w in words if re.fullmatch(r"[A-Z_]+=\S+", w))
        command = [w for w in words if w.split("=", 1)[0] not in settings]
        assert "poolab" == command[0]
        proc = _poolab(*command[1:], env={**_env(LANG="C.UTF-8", COLUMNS="80"), **settings}, cwd=tmp_path)
        assert 0 == proc.returncode, proc.stderr
        assert expected == proc.stdout + proc.stderr, " ".join(words)
        languages.add("zh" if CJK.search(expected) else "en")
    assert {"en", "zh"} == languages


def test_chinese_option_help_fits_the_terminal() -> None:
    """Under POOLAB_LANG=zh every option's help is wrapped to an 80-column terminal,
    counting a Chinese character as the two columns it takes (Click alone counts one)."""
    wide = []
    for path, page in _tree(ZH).items():
        options = str(page["help"]).split("\n选项:\n", 1)[1].split("\n\n")[0]
        wide += [f"{path}: {line.strip()[:40]!r}" for line in options.splitlines() if display_width(line) > 80]
    assert [] == wide


def test_no_chinese_help_line_starts_with_a_closing_mark() -> None:
    """No line of any Chinese help page starts with ，。；：、 or ）, after Chinese text or after
    a command in backquotes alike (`poolab rounds day2`。 once put the 。 on a line of its own)."""
    starts = [
        f"{path}: {line.strip()[:30]!r}"
        for path, page in _tree(ZH).items()
        for line in str(page["help"]).splitlines()
        if line.strip() and line.strip()[0] in "，。；：、）"
    ]
    assert [] == starts


def test_wrapping_breaks_between_chinese_characters_and_keeps_verbatim_paragraphs() -> None:
    """A Chinese paragraph breaks between characters (never before ，or 。), English at spaces;
    a paragraph after Click's \\b marker stays as written."""
    text = "按此编码读取文件（big5、latin-1、utf-16 等）。不给时：读作 UTF-8，其他编码一律拒收。"
    lines = wrap_text(text, 20, "  ", "  ").splitlines()
    assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")
    assert all(display_width(line) <= 20 for line in lines)
    assert not any(line.strip()[0] in "，。；：、）" for line in lines)
    assert ["one two", "three"] == wrap_text("one two three", 8).splitlines()
    assert ["看 `poolab", "rounds`。再看"] == wrap_text("看 `poolab rounds`。再看", 14).splitlines()
    verbatim = "Intro.\n\n\b\n示例：\n  poolab init    # 创建数据库，这一行很长也不折行"
    assert "示例：\n  poolab init    # 创建数据库，这一行很长也不折行" == wrap_text(verbatim, 20).split("\n\n")[1]
