"""The Chinese interface: the catalogue against the code, the glossary, the language choice,
and what a person sees under each language (commands run as a person runs them)."""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from poolab.i18n import LOCALE_DIR, _, catalogue, choose_language, language_from_header, use_language

ROOT = Path(__file__).resolve().parents[1]
PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "poolab.po"
MO = PO.with_suffix(".mo")
GLOSSARY = ROOT / "docs" / "glossary.md"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _catalogue() -> Catalog:
    with open(PO, "rb") as f:
        return read_po(f, locale="zh_CN")


def _forms(value: object) -> tuple[str, ...]:
    """A catalogue entry's id or string as a tuple of its forms (one, or singular and plural)."""
    items = value if isinstance(value, tuple | list) else (value,)
    return tuple("" if v is None else str(v) for v in items)


def _code_messages() -> dict[str, str]:
    """Every message id the library, the front end and the templates ask for -> where."""
    found: dict[str, str] = {}
    for folder in ("poolab", "cli"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, METHODS, OPTIONS, keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            found.setdefault(msgid, f"{folder}/{filename}:{lineno}")
    return found


def _placeholders(text: str) -> set[str]:
    """Named placeholders: {name}, {name!r}, {name:>5} and %(name)s."""
    brace = {m.group(1) for m in re.finditer(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}(?!\})", text)}
    percent = set(re.findall(r"%\(([A-Za-z_][A-Za-z0-9_]*)\)[sdrf]", text))
    return brace | percent


def test_every_message_in_the_code_has_a_chinese_translation() -> None:
    """Each message id the code uses is in the zh_CN catalogue, translated, not fuzzy (run `make messages`)."""
    cat = _catalogue()
    missing = []
    for msgid, where in sorted(_code_messages().items()):
        entry = cat.get(msgid)
        strings = () if entry is None else _forms(entry.string)
        if entry is None or not all(strings) or entry.fuzzy:
            missing.append(f"{where}: {msgid[:70]!r}")
    assert [] == missing


def test_translations_keep_every_placeholder() -> None:
    """A translation names exactly the placeholders of its message (a plural: those of either form)."""
    wrong = []
    for entry in _catalogue():
        if not entry.id:
            continue
        ids, strings = _forms(entry.id), _forms(entry.string)
        if not all(strings):
            continue  # untranslated: the test above names it
        allowed = set().union(*(_placeholders(i) for i in ids))
        for s in strings:
            used = _placeholders(s)
            # a single-form message must keep all of its placeholders; a plural may use either form's
            if used - allowed or (len(ids) == 1 and used != allowed):
                wrong.append((ids[0][:60], sorted(allowed), sorted(used)))
    assert [] == wrong


def test_the_compiled_catalogue_is_fresh() -> None:
    """poolab.mo is exactly what Babel compiles from poolab.po (run `make messages` after editing it)."""
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue())
    assert compiled.getvalue() == MO.read_bytes()


def test_messages_are_literal_sentences() -> None:
    """Every _() / N_() call is given a string literal (an f-string or a variable is never found in the catalogue)."""
    bad = []
    for folder in ("poolab", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in {"_", "N_"}
                    and not (
                        node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                    )
                ):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert [] == bad


def _glossary() -> list[dict[str, str]]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] not in {"English", ""} and not set(cells[0]) <= {"-"}:
            rows.append(dict(zip(("en", "zh", "check", "never", "meaning"), cells, strict=True)))
    return rows


_COMMAND_TEXT = re.compile(r"`[^`]*`|poolab(?: [a-z][a-z-]*)+|--[a-z][a-z-]*|\b[A-Z]+_[A-Z_]+\b")


def _glossary_problems(pairs: list[tuple[str, str]]) -> list[str]:
    """What breaks the glossary among (English, Chinese) message pairs."""
    rows = _glossary()
    problems = []
    for english, chinese in pairs:
        if not chinese.strip():
            continue  # untranslated: the completeness test names it
        words = _COMMAND_TEXT.sub(" ", english)  # command lines, `code` and --options are not words to translate
        for row in rows:
            for banned in filter(None, (w.strip() for w in row["never"].split(","))):
                if banned in chinese:
                    problems.append(f"{english[:50]!r}: {banned} (glossary: {row['zh']})")
            term = rf"(?<![\w./-]){re.escape(row['en'])}(?:e?s)?(?![\w./-])"
            if row["check"] == "always" and re.search(term, words, re.I) and row["zh"] not in chinese:
                problems.append(f"{english[:50]!r}: lacks {row['zh']} for {row['en']!r}")
    return problems


def test_the_catalogue_uses_each_term_one_way() -> None:
    """No translation uses a rendering the glossary rules out; an 'always' term's message holds its Chinese term."""
    assert len(_glossary()) >= 20  # the table was read
    pairs = []
    for entry in _catalogue():
        if entry.id:
            pairs.append((" ".join(_forms(entry.id)), " ".join(_forms(entry.string))))
    assert [] == _glossary_problems(pairs)


def test_the_glossary_check_can_fail() -> None:
    """The check catches a banned rendering and a missing 'always' term, and passes command names and file names."""
    assert 1 == len(_glossary_problems([("3 pools tested", "3 个混检管")]))  # 混检 is ruled out
    assert 1 == len(_glossary_problems([("2 retests issued", "已发 2 支管")]))  # lacks 单采单检
    assert [] == _glossary_problems([("next: poolab retest day1 -o day1-retest.csv", "下一步：poolab retest day1")])
    assert [] == _glossary_problems([("2 retests issued", "已发 2 支单采单检管")])


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),  # LC_ALL overrides
        ({"LANG": "zh_TW.UTF-8"}, "zh"),
        ({"POOLAB_LANG": "en", "LC_ALL": "zh_CN.UTF-8"}, "en"),  # POOLAB_LANG first
        ({"POOLAB_LANG": "zh", "LANG": "C"}, "zh"),
        ({"POOLAB_LANG": "zh_CN"}, "zh"),
        ({"POOLAB_LANG": "", "LANG": "zh_CN.GB18030"}, "zh"),
    ],
)
def test_language_is_chosen_from_the_environment(env: dict[str, str], expected: str) -> None:
    """POOLAB_LANG first, then LC_ALL, LC_MESSAGES, LANG: Chinese when the value starts with zh."""
    assert expected == choose_language(env)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("en;q=0.5, zh;q=0.7", "zh"),
        ("fr-FR", "en"),
        ("zh-Hans", "zh"),
        ("zh;q=0, en", "en"),
    ],
)
def test_language_of_a_browser(header: str | None, expected: str) -> None:
    """The command post follows Accept-Language: Chinese when the browser prefers it to English."""
    assert expected == language_from_header(header)


def test_use_language_switches_and_restores() -> None:
    """Inside use_language('zh') a message is Chinese, outside it as before."""
    before = _("Show this message and exit.")
    with use_language("zh"):
        assert "显示本帮助并退出。" == _("Show this message and exit.")
    with use_language("en"):
        assert "Show this message and exit." == _("Show this message and exit.")
    assert before == _("Show this message and exit.")
    assert "显示本帮助并退出。" == catalogue("zh").gettext("Show this message and exit.")


def _poolab(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "POOLAB_LANG"}
    }
    return subprocess.run(
        [sys.executable, "-c", "from poolab_cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=120,
    )


@pytest.mark.slow
def test_help_and_click_messages_follow_the_locale() -> None:
    """Under LANG=zh_CN.UTF-8 the help and Click's own usage errors are Chinese; under C.UTF-8 English."""
    zh = _poolab("--help", env={"LANG": "zh_CN.UTF-8"})
    assert 0 == zh.returncode
    assert "用法：" in zh.stdout and "显示本帮助并退出。" in zh.stdout
    en = _poolab("--help", env={"LANG": "C.UTF-8"})
    assert "Usage:" in en.stdout and "Show this message and exit." in en.stdout and "用法" not in en.stdout
    wrong = _poolab("no-such-command", env={"POOLAB_LANG": "zh", "LANG": "C.UTF-8"})
    assert 2 == wrong.returncode
    assert "错误：" in wrong.stderr and "没有命令" in wrong.stderr
    forced = _poolab("no-such-command", env={"POOLAB_LANG": "en", "LANG": "zh_CN.UTF-8"})
    assert "No such command" in forced.stderr
