"""`langchain-hybrid demo --serve`: the JSON API, and the page in a real headless chromium.

The demo runs as a user starts it, in a subprocess on port 0 (any free port), with the
real model and the shipped corpus vectors; the test reads the URL from its first stdout
line. The browser test drives Debian's chromium through Selenium and chromedriver (both
from apt, nothing downloaded): it types a query, moves the alpha slider with the keyboard
and reads the three columns. Set `DEMO_SCREENSHOT=docs/demo-web.png` to refresh the
screenshot in docs/demo.md.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.keys import Keys

if importlib.util.find_spec("tokenizers") is None:
    pytest.skip("needs the `demo` extra", allow_module_level=True)

RMTREE_QUERY = "remove a directory and everything in it"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

# FIXTURES ===================================================================


@pytest.fixture(scope="module")
def demo_url():
    process = subprocess.Popen(
        [sys.executable, "-m", "langchain_hybrid.cli", "demo", "--serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # blocks until the server listens (or the demo dies)
        assert line.startswith("serving the demo on http://127.0.0.1:"), (
            line + process.stderr.read()
        )
        yield line.split()[4]
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            _, stderr = process.communicate(timeout=30)  # also closes both pipes
        finally:
            process.kill()
        returncode = process.returncode
    assert returncode == 0, stderr
    assert stderr.rstrip().endswith("stopped")


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - http://127.0.0.1
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def search(base: str, query: str, *, alpha: float = 0.5, k: int = 10) -> dict:
    params = urllib.parse.urlencode({"q": query, "alpha": alpha, "k": k})
    status, payload = get(f"{base}api/search?{params}")
    assert status == 200, payload
    return payload


def ids(hits: list[dict]) -> list[str]:
    return [hit["id"] for hit in hits]


# TESTS: the API ===============================================================


def test_the_server_listens_on_loopback_only(demo_url):
    port = urllib.parse.urlsplit(demo_url).port
    # /proc/net/tcp lists listening sockets as hex "address:port"; 0100007F is 127.0.0.1.
    listening = [
        line.split()[1]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[3] == "0A"  # TCP_LISTEN
    ]
    assert f"0100007F:{port:04X}" in listening
    assert not any(
        address.endswith(f":{port:04X}") and address != f"0100007F:{port:04X}"
        for address in listening
    )


def test_search_returns_three_columns_with_both_legs_ranks_and_scores(demo_url):
    payload = search(demo_url, "ENOENT", k=5)
    assert payload["query"] == "ENOENT"
    assert payload["leg_depth"] == 100
    assert len(payload["vector"]) == len(payload["hybrid"]) == 5
    assert ids(payload["keyword"]) == ["errno.ENOENT"]
    top = payload["hybrid"][0]
    assert top["id"] == "errno.ENOENT"
    assert (top["keyword_rank"], top["vector_rank"]) == (1, 6)
    # The keyword leg's top document gets that leg's full weight, 0.5; the vector leg adds
    # at most its weight, 0.5, and ENOENT is only sixth there.
    assert 0.5 <= top["score"] < 1.0
    for column in ("keyword", "vector", "hybrid"):
        for hit in payload[column]:
            assert hit["text"]
            assert isinstance(hit["score"], float)
            assert (hit["keyword_rank"] is None) == (hit["keyword_score"] is None)
            assert (hit["vector_rank"] is None) == (hit["vector_score"] is None)
    vector = payload["vector"]
    assert [hit["vector_rank"] for hit in vector] == [1, 2, 3, 4, 5]
    assert vector == sorted(vector, key=lambda hit: -hit["vector_score"])


def test_alpha_0_and_1_reproduce_the_legs_and_the_legs_do_not_move(demo_url):
    middle = search(demo_url, RMTREE_QUERY, alpha=0.5)
    keyword_end = search(demo_url, RMTREE_QUERY, alpha=0.0)
    vector_end = search(demo_url, RMTREE_QUERY, alpha=1.0)
    assert ids(keyword_end["hybrid"]) == ids(middle["keyword"])
    assert ids(vector_end["hybrid"]) == ids(middle["vector"])
    for payload in (keyword_end, vector_end):
        assert payload["keyword"] == middle["keyword"]
        assert payload["vector"] == middle["vector"]
    rmtree = next(h for h in middle["hybrid"] if h["id"] == "shutil.rmtree")
    assert (rmtree["keyword_rank"], rmtree["vector_rank"]) == (56, 5)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=&alpha=0.5", "q is empty"),
        ("q=x&alpha=2", "alpha must be from 0 to 1, got 2.0"),
        ("q=x&alpha=half", "alpha must be a number"),
        ("q=x&k=0", "k must be from 1 to 50, got 0"),
        ("q=" + "x" * 501, "at most 500"),
    ],
)
def test_bad_requests_are_answered_400_with_what_was_wrong(demo_url, query, message):
    status, payload = get(f"{demo_url}api/search?{query}")
    assert status == 400
    assert message in payload["error"]


def test_a_port_in_use_is_a_clear_error(demo_url):
    port = str(urllib.parse.urlsplit(demo_url).port)
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "langchain_hybrid.cli", "demo", "--serve", "--port", port],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1
    assert f"langchain-hybrid demo: error: cannot serve on 127.0.0.1:{port}" in result.stderr
    assert "--port 0 for any free one" in result.stderr


def test_unknown_paths_are_404_and_the_page_and_info_are_served(demo_url):
    assert get(f"{demo_url}nothing")[0] == 404
    status, info = get(f"{demo_url}api/info")
    assert status == 200
    assert info["documents"] == 1234
    assert info["k"] == 10
    assert info["backend"] == "local (in-process)"
    with urllib.request.urlopen(demo_url, timeout=60) as response:  # noqa: S310 - loopback
        page = response.read().decode("utf-8")
    assert '<input id="alpha" type="range"' in page
    assert "<script>" in page


# TESTS: the page in chromium ====================================================


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file() or not Path(CHROMEDRIVER).is_file():
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install ...)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--window-size=1500,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def wait_shown(driver, query: str, alpha: float) -> None:
    """Until the page has drawn the answer for `query` at `alpha`."""
    expected = f"{query}|{alpha:g}"
    deadline = time.monotonic() + 60
    while driver.execute_script("return document.body.dataset.shown") != expected:
        assert time.monotonic() < deadline, driver.find_element("id", "status").text
        time.sleep(0.05)


def column(driver, name: str) -> list[dict[str, str]]:
    hits = driver.find_elements("css selector", f"#col-{name} li.hit")
    return [
        {
            "id": hit.get_attribute("data-id"),
            "legs": hit.find_element("css selector", ".legs").text,
        }
        for hit in hits
    ]


def test_typing_a_query_and_moving_the_slider_updates_the_columns(demo_url, browser):
    browser.get(demo_url)
    box = browser.find_element("id", "q")
    box.send_keys(RMTREE_QUERY)
    wait_shown(browser, RMTREE_QUERY, 0.5)
    keyword, vector, hybrid = (column(browser, n) for n in ("keyword", "vector", "hybrid"))
    assert len(keyword) == len(vector) == len(hybrid) == 10
    assert keyword[0]["id"] == "pathlib.Path.rmdir"
    assert vector[0]["id"] == "os.rmdir"
    assert hybrid[0]["id"] == "os.rmdir"
    rmtree = next(hit for hit in hybrid if hit["id"] == "shutil.rmtree")
    assert rmtree["legs"].split()[:4] == ["BM25", "#56", "3.25", "vector"]
    assert "#5" in rmtree["legs"]
    assert "hybrid" in rmtree["legs"]
    assert browser.find_element("id", "hybrid-alpha").text == "0.50"
    if os.environ.get("DEMO_SCREENSHOT"):
        browser.save_screenshot(os.environ["DEMO_SCREENSHOT"])

    slider = browser.find_element("id", "alpha")
    slider.send_keys(Keys.END)
    wait_shown(browser, RMTREE_QUERY, 1.0)
    assert [h["id"] for h in column(browser, "hybrid")] == [h["id"] for h in vector]
    assert browser.find_element("id", "alpha-value").text == "1.00"

    slider.send_keys(Keys.HOME)
    wait_shown(browser, RMTREE_QUERY, 0.0)
    assert [h["id"] for h in column(browser, "hybrid")] == [h["id"] for h in keyword]

    for _ in range(6):
        slider.send_keys(Keys.ARROW_RIGHT)
    wait_shown(browser, RMTREE_QUERY, 0.3)
    assert browser.find_element("id", "hybrid-alpha").text == "0.30"
    # The legs never move with alpha; only the hybrid column does.
    assert column(browser, "keyword") == keyword
    assert column(browser, "vector") == vector


def test_a_link_with_q_and_alpha_opens_with_that_search(demo_url, browser):
    browser.get(f"{demo_url}?q=number+of+processors&alpha=1")
    wait_shown(browser, "number of processors", 1.0)
    assert browser.find_element("id", "q").get_attribute("value") == "number of processors"
    assert browser.find_element("id", "alpha-value").text == "1.00"
    assert column(browser, "hybrid")[0]["id"] == "os.cpu_count"


def test_an_example_button_runs_its_query(demo_url, browser):
    browser.get(demo_url)
    buttons = browser.find_elements("css selector", "#examples button")
    deadline = time.monotonic() + 30
    while not buttons:
        assert time.monotonic() < deadline
        time.sleep(0.05)
        buttons = browser.find_elements("css selector", "#examples button")
    assert [b.text for b in buttons] == [
        "ENOENT",
        "number of processors",
        "add an item to the left end of a deque",
    ]
    buttons[0].click()
    wait_shown(browser, "ENOENT", 0.5)
    assert column(browser, "hybrid")[0]["id"] == "errno.ENOENT"
    assert column(browser, "keyword")[0]["legs"].startswith("BM25 #1")
