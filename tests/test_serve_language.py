"""The command post in the staff's language: the real ``poolab serve`` and headless
Chromium, the browser asking for Chinese (``Accept-Language: zh-CN``) or English, and
``?lang=zh|en`` overriding it. What a machine reads (the CSV download, the JSON) never
changes with the language."""

from __future__ import annotations

import csv
import io
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_serve import Server, _click, _district, _screenshot, browser  # noqa: F401 (browser: a fixture)

CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z]{2,}")
# what stays as it is in Chinese: gene targets and units of the assay, file formats, the
# program's name, the hours' unit of the late-tube form
KEPT = {"Ct", "ORF1ab", "CSV", "JSON", "poolab", "UTC"}
# every heading of the page, in each language (the run of days shows only on a chained campaign)
HEADINGS = {
    "en": [
        "Where every tube stands",
        "Progress by compound",
        "Positive and inconclusive pools",
        "Confirmed positives",
        "Turnaround",
        "Late tubes",
    ],
    "zh": ["每支采样管的进度", "各小区进度", "初筛阳性和可疑混采管", "确认阳性", "周转时间", "超时采样管"],
}


@pytest.fixture
def served(store_url: str, small_roster_csv: Path) -> Iterator[Server]:
    _district(store_url, small_roster_csv)
    server = Server(store_url, "--refresh", "3600")  # no swap of <main> while a test reads it
    try:
        yield server
    finally:
        server.stop()


def _accept(driver, language: str) -> None:
    """The browser asks for ``language`` first on every request from now on."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Accept-Language": language}})


def _page(driver) -> dict[str, Any]:
    """What a person reads on the page: <html lang>, the title, the headings, and the text
    of the page without the data (the campaign's name, barcodes, names, places, times,
    figures) and the command lines (<code>)."""
    return driver.execute_script(
        """
        const main = document.querySelector('main').cloneNode(true);
        main.querySelectorAll('h1, td, th[scope=row], code, .value, time, .of, .pct').forEach(e => e.remove());
        return {
          lang: document.documentElement.lang,
          title: document.title,
          headings: Array.from(document.querySelectorAll('h2')).map(e => e.textContent.trim()),
          text: document.querySelector('header').innerText + '\\n' + main.innerText + '\\n'
                + document.querySelector('footer').innerText,
          bars: Array.from(document.querySelectorAll('svg.bar')).map(e => e.getAttribute('aria-label')),
          links: Array.from(document.querySelectorAll('a.sort, a.brand')).map(e => e.getAttribute('href')),
          lang_inputs: Array.from(document.querySelectorAll('form input[name=lang]')).map(e => e.value),
          form: document.querySelector('.late-form').innerText,
        };
        """
    )


def _english_words(text: str) -> list[str]:
    for kept in sorted(KEPT, key=len, reverse=True):
        text = text.replace(kept, " ")
    return WORD.findall(text)


def _assert_chinese(page: dict[str, Any]) -> None:
    assert "zh-CN" == page["lang"]
    assert "指挥部" in page["title"]
    assert HEADINGS["zh"] == page["headings"]
    assert [] == _english_words(page["text"])  # no English sentence, heading, label or button
    assert not re.search(r"[A-Za-z]", page["form"])  # the hours' unit too
    assert page["bars"] and all("已出结果" in str(label) for label in page["bars"])


@pytest.mark.store
@pytest.mark.slow
def test_page_follows_a_chinese_browser(served: Server, browser) -> None:  # noqa: F811
    """Accept-Language zh-CN: the whole page is Chinese (titles, tiles, table headings, bar
    labels, the form's button, the download link), and <html lang> says so."""
    _accept(browser, "zh-CN,zh;q=0.9,en;q=0.8")
    try:
        browser.get(served.url + "campaigns/day1")
        page = _page(browser)
        _assert_chinese(page)
        assert "下载 CSV 文件" == browser.find_element("css selector", "a.download").text
        assert "应用" == browser.find_element("css selector", ".late-form button").text
        shots = [_screenshot(browser, f"campaign-zh-{w}px.png", w) for w in (1400, 390)]  # for a person to look at
        assert all(p.stat().st_size > 10_000 for p in shots)
        # the language came from the browser: links need not carry it
        assert [] == [href for href in page["links"] if "lang=" in href]
    finally:
        _accept(browser, "en-US,en;q=0.9")


@pytest.mark.store
@pytest.mark.slow
def test_lang_zh_overrides_an_english_browser_and_links_keep_it(served: Server, browser) -> None:  # noqa: F811
    """?lang=zh: Chinese in an English browser; every link of the page (the sort links, the
    campaign list) and the late-tube form keep lang=zh, so a click stays in Chinese."""
    _accept(browser, "en-US,en;q=0.9")
    browser.get(served.url + "campaigns/day1?lang=zh")
    page = _page(browser)
    _assert_chinese(page)
    links = page["links"]
    assert links and all("lang=zh" in href for href in links)
    assert ["zh"] == page["lang_inputs"]
    # clicks find their element again when the page's live part replaced it meanwhile
    _click(browser, "a.sort")  # sort the pools by tube: still Chinese
    _assert_chinese(_page(browser))
    _click(browser, ".late-form button")
    _assert_chinese(_page(browser))
    _click(browser, "a.brand")
    assert "zh-CN" == browser.execute_script("return document.documentElement.lang")
    assert "轮次" == browser.find_element("css selector", "h1").text


@pytest.mark.store
@pytest.mark.slow
def test_the_run_of_days_reads_in_chinese(store_url: str, small_roster_csv: Path, browser) -> None:  # noqa: F811
    """A round that follows another shows the run of days: in Chinese too, its link back to
    the day before keeping lang=zh."""
    from poolab.field.campaigns import create_campaign
    from poolab.store.engine import open_store

    _district(store_url, small_roster_csv)
    store = open_store(store_url)
    try:
        create_campaign(store, "day2", operator="t", after="day1")
    finally:
        store.dispose()
    server = Server(store_url, "--refresh", "3600")
    try:
        _accept(browser, "en-US,en;q=0.9")
        browser.get(server.url + "campaigns/day2?lang=zh")
        page = _page(browser)
        assert "逐日轮次" == page["headings"][0] and HEADINGS["zh"] == page["headings"][1:]
        assert [] == _english_words(page["text"])
        back = browser.find_element("css selector", "[data-list=rounds] th a")
        assert ("day1", True) == (back.text, "lang=zh" in back.get_attribute("href"))
    finally:
        server.stop()


@pytest.mark.store
@pytest.mark.slow
def test_lang_en_overrides_a_chinese_browser(served: Server, browser) -> None:  # noqa: F811
    """?lang=en: the page as before, in English, though the browser prefers Chinese."""
    _accept(browser, "zh-CN,zh;q=0.9")
    try:
        browser.get(served.url + "campaigns/day1?lang=en")
        page = _page(browser)
        assert "en" == page["lang"]
        assert HEADINGS["en"] == page["headings"]
        assert not CJK.search(str(page["text"]))  # data aside, nothing Chinese
        assert "Download them as CSV" == browser.find_element("css selector", "a.download").text
        assert all(re.fullmatch(r"\S+ resulted: \S+ of \S+ pool tubes", str(b)) for b in page["bars"])
    finally:
        _accept(browser, "en-US,en;q=0.9")


def _request(url: str, accept_language: str) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers={"Accept-Language": accept_language})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers.items()), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers.items()), exc.read().decode("utf-8")


@pytest.mark.store
@pytest.mark.slow
def test_what_machines_read_stays_english(served: Server) -> None:
    """In Chinese, the CSV download keeps the columns of `poolab positives` and the API its
    JSON keys; a page says it varies with Accept-Language (no cache hands one language to
    the other); an unknown ?lang is refused on the page, naming the value, in the browser's language."""
    code, _, body = _request(served.url + "campaigns/day1/positives.csv?lang=zh", "zh-CN")
    assert 200 == code
    header = next(csv.reader(io.StringIO(body)))
    assert ["resident_id", "name", "compound", "building", "unit", "room", "household_id", "tube_barcode"] == header
    code, _, body = _request(served.url + "api/campaigns/day1/status", "zh-CN")
    assert 200 == code and '"confirmed_positive"' in body and not CJK.search(body.split('"campaign"')[0])
    code, headers, body = _request(served.url + "campaigns/day1", "zh-CN")
    assert 200 == code and "Accept-Language" in headers.get("vary", "")
    code, _, body = _request(served.url + "campaigns/day1?lang=fr", "zh-CN")
    assert 400 == code and "lang 只能是 en 或 zh" in body and "&#39;fr&#39;" in body  # in the browser's language
    code, _, body = _request(served.url + "campaigns/day1?lang=fr", "en")
    assert 400 == code and "lang must be en or zh, got &#39;fr&#39;" in body
