"""``poolab serve`` in a real browser: the real server (a ``poolab serve`` process on a
free loopback port) and Debian's headless Chromium driven through its chromedriver.

Screenshots of the campaign page at desktop and phone widths are kept in
``test-artifacts/`` (``POOLAB_TEST_ARTIFACTS`` names another folder).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from poolab.reports.timing import duration_text

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("POOLAB_TEST_ARTIFACTS", ROOT / "test-artifacts"))
POOLAB = str(Path(sys.executable).parent / "poolab")
TOKEN = "correct-horse-battery-staple"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def _district(url: str, roster_csv: Path, *, positive: float = 0.1) -> None:
    """A campaign eight hours into its day. Every tube was collected in its first half
    hour and reached the lab (or got lost: one in ten) more than six hours ago, so the
    late counts cannot change while a test looks at them (no cut-off falls among the
    time stamps)."""
    from poolab.demo.timeline import DayPlan, simulate_day
    from poolab.field.campaigns import create_campaign
    from poolab.roster.importing import import_roster
    from poolab.store.engine import init_store

    store, _ = init_store(url)
    try:
        import_roster(store, roster_csv, operator="t")
        create_campaign(store, "day1", operator="t")
        plan = DayPlan(
            hours=8.0,
            walk=0.5,
            transport=0.3,
            spread=0.2,
            lab=1.0,
            resample=1.0,
            lost=0.1,
            positive=positive,
            inconclusive=0.05,
        )
        simulate_day(store, "day1", plan=plan, seed=5, now=datetime.now(UTC))
    finally:
        store.dispose()


class Server:
    """A ``poolab serve`` process; ``url`` is where it listens."""

    def __init__(self, db: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [POOLAB, "--db", db, "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert "poolab command post at http://127.0.0.1:" in line, line + self.proc.stderr.read()  # type: ignore[union-attr]
        self.url = line.split(" at ", 1)[1].split("campaigns", 1)[0]
        self.banner = line

    def stop(self) -> str:
        self.proc.terminate()
        out, err = self.proc.communicate(timeout=20)
        assert "" == err
        return out


def get(url: str, token: str | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request."""
    request = urllib.request.Request(url, method=method)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


@pytest.fixture
def served(store_url: str, small_roster_csv: Path) -> Iterator[tuple[str, Server]]:
    """The store URL and a server on it."""
    _district(store_url, small_roster_csv)
    server = Server(store_url, "--refresh", "2")
    try:
        yield store_url, server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium (Debian's) through chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def status_json(url: str, *extra: str) -> tuple[dict[str, object], bytes]:
    """`poolab status day1 --json` as the CLI prints it."""
    from poolab_cli.main import cli

    result = CliRunner().invoke(cli, ["--db", url, "status", "day1", "--json", *extra], catch_exceptions=False)
    assert 0 == result.exit_code, result.output
    return json.loads(result.output), result.output.encode("utf-8")


def on_screen(driver) -> dict[str, tuple[str, str]]:
    """data-key -> (data-value, text shown) of every figure on the page."""
    found = driver.execute_script(
        "return Array.from(document.querySelectorAll('[data-key]'))"
        ".map(e => [e.dataset.key, e.dataset.value, e.textContent.trim()]);"
    )
    return {k: (v, text) for k, v, text in found}


def store_kind(url: str) -> str:
    return "postgresql" if url.startswith("postgres") else "sqlite"


def _lookup(obj: object, key: str) -> object:
    for part in key.split("."):
        assert isinstance(obj, dict)
        obj = obj[part]
    return obj


def _screenshot(driver, name: str, width: int) -> Path:
    """A full-page screenshot at ``width`` CSS pixels, kept as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": min(height, 12000), "deviceScaleFactor": 1, "mobile": width < 600},
    )
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path = ARTIFACTS / name
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


@pytest.mark.store
@pytest.mark.slow
def test_page_shows_status_json(served, browser, small_roster_csv: Path) -> None:
    """Every figure on the campaign page equals `poolab status --json`, shown as a person reads it."""
    url, server = served
    browser.get(server.url + "campaigns/day1")
    status, _ = status_json(url)
    shown = on_screen(browser)
    compared = 0
    for key, (value, text) in shown.items():
        if key.split(".")[0] not in status:
            continue
        expected = _lookup(status, key)
        compared += 1
        if key.startswith("turnaround.") and not key.endswith(".tubes"):
            assert ("" if expected is None else str(expected), duration_text(expected)) == (value, text), key  # type: ignore[arg-type]
        else:
            assert (str(expected), f"{expected:,}") == (value, text), key
    assert 6 + 4 + 4 + 4 + 2 * 3 + 2 == compared  # single keys, tubes, pool and retest calls, turnaround, late
    assert [] == [key for key in shown if key.startswith("results.")]  # no tile adds pools and retests
    assert 0 < int(shown["waiting"][0]) < int(shown["residents"][0])
    title = browser.find_element("css selector", "h1").text
    assert "day1" == title
    shots = [_screenshot(browser, f"campaign-{store_kind(url)}-{w}px.png", w) for w in (1400, 390)]
    assert all(p.stat().st_size > 10_000 for p in shots)


@pytest.mark.store
@pytest.mark.slow
def test_no_unmasked_name_in_the_dom(served, browser, small_roster_csv: Path) -> None:
    """No resident's full name appears anywhere in the page; confirmed positives show masked names."""
    import csv

    from poolab.masking import mask_name

    _url, server = served
    browser.get(server.url + "campaigns/day1")
    dom = browser.page_source
    with open(small_roster_csv, encoding="utf-8", newline="") as f:
        roster = list(csv.DictReader(f))
    places = {r["compound"] for r in roster}
    names = {r["name"] for r in roster if len(r["name"]) >= 2 and not any(r["name"] in p for p in places)}
    assert len(names) > 500
    assert [] == sorted(n for n in names if n in dom)
    masked = _texts(browser, "[data-list=positives] [data-masked]")
    by_id = {r["resident_id"]: r["name"] for r in roster}
    ids = _texts(browser, "[data-list=positives] td.code:first-child")
    assert masked and [mask_name(by_id[i]) for i in ids] == masked
    assert "*" in "".join(masked)


@pytest.mark.store
@pytest.mark.slow
def test_api_is_status_json_byte_for_byte(served) -> None:
    """/api/campaigns/NAME/status is what `poolab status NAME --json` prints, late options included."""
    url, server = served
    for query, options in (
        ("", ()),
        ("?late_receipt=0.5&late_result=2", ("--late-receipt", "0.5", "--late-result", "2")),
    ):
        code, headers, body = get(server.url + "api/campaigns/day1/status" + query)
        assert (200, "application/json") == (code, headers["content-type"])
        assert status_json(url, *options)[1] == body
    code, _, body = get(server.url + "api/campaigns/nope/status")
    assert 404 == code and "no campaign 'nope'" in json.loads(body)["error"]


@pytest.mark.store
@pytest.mark.slow
def test_page_updates_itself(served, browser) -> None:
    """A tube received while the page is open shows up on it without a reload."""
    from poolab.field.scans import Scan
    from poolab.lab.reception import receive
    from poolab.store.engine import open_store

    url, server = served
    browser.get(server.url + "campaigns/day1")
    before = int(on_screen(browser)["late.not_received"][0])
    assert before > 0
    store = open_store(url)
    try:
        status, _ = status_json(url, "--missing")
        waiting = status["missing"]["awaiting_receipt"]  # type: ignore[index]
        report = receive(store, "day1", [Scan(1, waiting[0])], source="test", operator="t")
        assert 1 == report.accepted
    finally:
        store.dispose()
    browser.execute_script("document.body.dataset.marker = 'same page';")
    deadline = time.monotonic() + 15
    while int(on_screen(browser)["late.not_received"][0]) == before and time.monotonic() < deadline:
        time.sleep(0.3)
    assert before - 1 == int(on_screen(browser)["late.not_received"][0])
    assert "same page" == browser.execute_script("return document.body.dataset.marker;")


@pytest.mark.store
@pytest.mark.slow
def test_campaign_list_and_errors(store_url: str, small_roster_csv: Path, browser) -> None:
    """/campaigns links every campaign; an unknown one is a 404 page naming the campaigns there are."""
    _district(store_url, small_roster_csv)
    server = Server(store_url)
    try:
        browser.get(server.url)
        links = [a.text for a in browser.find_elements("css selector", "main a")]
        assert ["day1"] == links
        code, _, body = get(server.url + "campaigns/nope")
        assert 404 == code and "no campaign &#39;nope&#39;; campaigns: day1" in body.decode("utf-8")
        code, _, _ = get(server.url + "campaigns/day1?late_receipt=soon")
        assert 400 == code
        code, _, _ = get(server.url + "campaigns/day1", method="POST")
        assert 405 == code
    finally:
        server.stop()


@pytest.mark.store
@pytest.mark.slow
def test_security_headers_and_loopback_host(served) -> None:
    """Every response carries the CSP (no inline script) and nosniff; a foreign Host header is refused."""
    _url, server = served
    for path in ("campaigns", "campaigns/day1", "api/campaigns/day1/status", "static/style.css", "nope"):
        _code, headers, _ = get(server.url + path)
        assert "nosniff" == headers["x-content-type-options"], path
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
    _code, _headers, page = get(server.url + "campaigns/day1")
    assert b"<script>" not in page and b" style=" not in page
    request = urllib.request.Request(server.url + "campaigns", headers={"Host": "attacker.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    refused.value.close()
    assert 421 == refused.value.code


@pytest.mark.store
@pytest.mark.slow
def test_token_is_required_on_every_request(store_url: str, small_roster_csv: Path, browser) -> None:
    """With a token set, a request without it (or with another) gets 401; with it, the page and the API answer."""
    _district(store_url, small_roster_csv)
    server = Server(store_url, "--host", "127.0.0.1", "--token", TOKEN)
    try:
        for path in ("", "campaigns", "campaigns/day1", "api/campaigns/day1/status", "static/style.css"):
            code, headers, _ = get(server.url + path)
            assert 401 == code, path
            assert headers["www-authenticate"].startswith("Basic")
            assert 401 == get(server.url + path, token="not-the-token-at-all")[0]
        assert 200 == get(server.url + "api/campaigns/day1/status", token=TOKEN)[0]
        basic = base64.b64encode(f"anyone:{TOKEN}".encode()).decode()
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {basic}"}})
        try:
            browser.get(server.url + "campaigns/day1")
            assert "day1" == browser.find_element("css selector", "h1").text
            assert int(on_screen(browser)["residents"][0]) == 600
        finally:
            browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})
    finally:
        server.stop()


def test_serve_refuses_what_it_should(tmp_path: Path) -> None:
    """Beyond loopback without a token, a short token, a busy port: one line each, no traceback."""
    import socket

    from poolab.store.engine import init_store
    from poolab_cli.main import cli

    db = f"sqlite:///{tmp_path / 'p.db'}"
    init_store(db)[0].dispose()
    runner = CliRunner()
    r = runner.invoke(cli, ["--db", db, "serve", "--host", "0.0.0.0"])
    assert 1 == r.exit_code and "give a token too" in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, ["--db", db, "serve", "--host", "0.0.0.0", "--token", "short"])
    assert 1 == r.exit_code and "the token is too short (5 characters" in r.output
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        r = runner.invoke(cli, ["--db", db, "serve", "--port", str(busy.getsockname()[1])])
    finally:
        busy.close()
    assert 1 == r.exit_code and "cannot serve on 127.0.0.1:" in r.output and "in use" in r.output
    assert 1 == len(r.output.strip().splitlines())


def test_serve_names_the_store_without_its_password(store_url: str) -> None:
    """The line saying where the command post listens names the store as every other
    command does: a PostgreSQL password shown as ***. (A SQLite path has no password;
    that run checks the line names the store at all.)"""
    from sqlalchemy.engine import make_url

    from poolab.store.engine import init_store

    init_store(store_url)[0].dispose()
    db = store_url
    if store_url.startswith("postgres"):  # the test server trusts its clients: any password logs in
        db = make_url(store_url).set(password="s3cret-pw").render_as_string(hide_password=False)
    server = Server(db)
    try:
        assert server.proc.stdout is not None
    finally:
        out = server.stop()
    first = f"poolab command post at {server.url}"
    assert "s3cret-pw" not in out
    shown = db.replace("s3cret-pw", "***")
    assert shown.split("?", 1)[0] in server.banner, server.banner
    assert first in server.banner


@pytest.mark.parametrize("module", ["starlette", "jinja2", "uvicorn"])
def test_without_the_web_extra(module: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without starlette, jinja2 or uvicorn, serve says which extra to install, in one line."""
    from poolab.store.engine import init_store
    from poolab_cli.main import cli

    db = f"sqlite:///{tmp_path / 'p.db'}"
    init_store(db)[0].dispose()
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".") or m.startswith("poolab.web")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)
    r = CliRunner().invoke(cli, ["--db", db, "serve"])
    assert 1 == r.exit_code
    expected = f"Error: poolab serve needs the web extra: pip install 'poolab[web]' ({module} is not installed)\n"
    assert expected == r.output


@pytest.mark.slow
def test_demo_ends_with_the_serve_command(tmp_path: Path, browser) -> None:
    """`poolab demo` ends by printing the `poolab serve` command; run as printed, it shows the demo's campaign."""
    import shlex

    from poolab_cli.main import cli

    folder = tmp_path / "demo"
    args = ["demo", "--residents", "800", "--households", "500", "--compounds", "3", "--infected", "6"]
    r = CliRunner().invoke(cli, [*args, "--folder", str(folder)])
    assert 0 == r.exit_code, r.output
    last = r.output.strip().splitlines()[-1]
    command, _, rest = last.removeprefix("watch it in a browser: ").partition("  (then open ")
    words = shlex.split(command)
    assert ["poolab", "--db", str(folder / "poolab.db"), "serve"] == words
    path = rest.split("127.0.0.1:8000", 1)[1].split(";", 1)[0]
    assert "/campaigns/demo-day1" == path
    server = Server(words[2])  # the same store, on a free port instead of 8000
    try:
        browser.get(server.url + path.lstrip("/"))
        assert "demo-day1" == browser.find_element("css selector", "h1").text
        shown = on_screen(browser)
        assert ("800", "0") == (shown["residents"][0], shown["waiting"][0])  # the demo resolved everyone
    finally:
        server.stop()


@pytest.fixture
def crowded(store_url: str, small_roster_csv: Path) -> Iterator[tuple[str, Server]]:
    """A bad day: three pools in four positive, so more than 40 positive pools and more
    than 40 confirmed positives; a server on it."""
    _district(store_url, small_roster_csv, positive=0.75)
    server = Server(store_url, "--refresh", "2")
    try:
        yield store_url, server
    finally:
        server.stop()


def _texts(driver, css: str) -> list[str]:
    """The text of every element matching ``css``, read in one script: the page swaps its live
    part every 2 s, so elements fetched one by one can go stale between two reads."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText);", css
    )


def _click(driver, css: str) -> None:
    """Click the element matching ``css``, found again if the refresh replaced it meanwhile."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _attempt in range(10):
        try:
            driver.find_element("css selector", css).click()
            return
        except StaleElementReferenceException:
            time.sleep(0.2)
    driver.find_element("css selector", css).click()


def _rows(driver, table: str) -> list[list[str]]:
    """The cells' text of every row of one of the page's lists."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(`[data-list=${arguments[0]}] tbody tr`))"
        ".map(r => Array.from(r.cells).map(c => c.textContent.trim()));",
        table,
    )


@pytest.mark.store
@pytest.mark.slow
def test_every_positive_is_on_the_page_and_sorts(crowded, browser, small_roster_csv: Path) -> None:
    """With more than 40 positive pools and confirmed positives, every one is listed (resident id,
    masked name, address); a heading sorts its list, again the other way, and the refresh keeps it."""
    import csv

    from poolab.masking import mask_name
    from poolab.web.tables import natural

    url, server = crowded
    status, _ = status_json(url)
    flagged = status["pool_results"]["positive"] + status["pool_results"]["inconclusive"]  # type: ignore[index]
    confirmed = status["confirmed_positive"]
    assert flagged > 40 and confirmed > 40  # type: ignore[operator]
    browser.get(server.url + "campaigns/day1")
    pools, positives = _rows(browser, "pools"), _rows(browser, "positives")
    assert (flagged, confirmed) == (len(pools), len(positives))
    assert "The first" not in browser.page_source
    with open(small_roster_csv, encoding="utf-8", newline="") as f:
        roster = {r["resident_id"]: r for r in csv.DictReader(f)}
    columns = ("resident_id", "name", "compound", "building", "unit", "room", "household_id")
    expected = [[roster[row[0]][c] for c in columns] for row in positives]
    assert [[r[0], mask_name(r[1]), *r[2:]] for r in expected] == [row[:7] for row in positives]
    by_address = [(*(natural(c) for c in row[2:6]), row[0]) for row in positives]
    _screenshot(browser, f"positives-{store_kind(url)}-1400px.png", 1400)

    _click(browser, "[data-list=positives] thead th:nth-child(2) a")  # name
    assert browser.current_url.endswith("?positives=name#h-positives")
    names = [row[1] for row in _rows(browser, "positives")]
    assert sorted(names, key=natural) == names
    _click(browser, "[data-list=positives] thead th:nth-child(2) a")  # again: descending
    assert browser.current_url.endswith("?positives=-name#h-positives")
    assert sorted(names, key=natural, reverse=True) == [row[1] for row in _rows(browser, "positives")]
    aria = browser.execute_script(
        "return document.querySelector('[data-list=positives] thead th:nth-child(2)').getAttribute('aria-sort');"
    )
    assert "descending" == aria

    _click(browser, "[data-list=pools] thead th:nth-child(5) a")  # compound
    assert "pools=compound" in browser.current_url and "positives=-name" in browser.current_url
    compounds = [row[4] for row in _rows(browser, "pools")]
    assert sorted(compounds, key=natural) == compounds and len(set(compounds)) > 1
    browser.execute_script("document.body.dataset.marker = 'still here';")
    browser.execute_script("document.getElementById('live').dataset.old = 'yes';")
    deadline = time.monotonic() + 15  # the page refreshes every 2 s: it swaps in a new list, sorted the same
    while browser.execute_script("return document.getElementById('live').dataset.old;") and time.monotonic() < deadline:
        time.sleep(0.3)
    assert browser.execute_script("return document.getElementById('live').dataset.old;") is None
    assert "still here" == browser.execute_script("return document.body.dataset.marker;")
    assert compounds == [row[4] for row in _rows(browser, "pools")]
    assert sorted(names, key=natural, reverse=True) == [row[1] for row in _rows(browser, "positives")]
    assert by_address == sorted(by_address)  # the list's own order, before any sorting: by address
    _screenshot(browser, f"positives-{store_kind(url)}-390px.png", 390)


@pytest.mark.store
@pytest.mark.slow
def test_positives_download_is_the_positives_export(crowded) -> None:
    """The page's CSV link gives what `poolab positives NAME -o -` writes, byte for byte, names masked."""
    from poolab_cli.main import cli

    url, server = crowded
    code, headers, body = get(server.url + "campaigns/day1/positives.csv")
    assert 200 == code
    assert headers["content-type"].startswith("text/csv")
    assert "attachment" in headers["content-disposition"] and "day1-positives.csv" in headers["content-disposition"]
    exported = CliRunner().invoke(cli, ["--db", url, "positives", "day1", "-o", "-"], catch_exceptions=False)
    assert exported.stdout_bytes == body
    assert 41 < len(body.decode("utf-8").splitlines())
    code, _, page = get(server.url + "campaigns/day1")
    assert b'href="/campaigns/day1/positives.csv"' in page
    assert 404 == get(server.url + "campaigns/nope/positives.csv")[0]
    assert 400 == get(server.url + "campaigns/day1?positives=phone")[0]


@pytest.mark.store
@pytest.mark.slow
def test_the_all_compounds_bar_never_rounds_up_to_100(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """299 of 300 tubes resulted is 99% (with the count beside it), never 100%."""
    import re

    from tests.workflow import read_csv, run, write_results

    assert 0 == run(store_url, "init").exit_code
    assert 0 == run(store_url, "roster", "import", str(small_roster_csv)).exit_code
    assert 0 == run(store_url, "campaign", "new", "day1", "--pool-size", "1").exit_code
    run(store_url, "manifest", "day1", "-o", str(tmp_path / "m.csv"))
    codes = list(dict.fromkeys(r["tube_barcode"] for r in read_csv(tmp_path / "m.csv")))
    assert 600 == len(codes)
    assert 0 == run(store_url, "receive", "day1", input="".join(c + "\n" for c in codes)).exit_code
    results = write_results(tmp_path / "r.csv", [(c, "negative", "", "") for c in codes[1:]])
    assert 0 == run(store_url, "results", "import", "day1", str(results)).exit_code
    server = Server(store_url)
    try:
        _code, _, page = get(server.url + "campaigns/day1")
    finally:
        server.stop()
    row = page.decode("utf-8").split('data-row="overall"', 1)[1].split("</tr>", 1)[0]
    shown = re.search(r'<span class="pct">([^<]*)</span><span class="of">([^<]*)</span>', row)
    assert shown is not None
    assert ("99%", "599/600") == shown.groups()
