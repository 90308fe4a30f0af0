"""The coder page in a real headless browser: Debian's chromium driven by Playwright, against a real
`chartproof serve` on a free loopback port. A coder pastes a chart, codes it, clicks a code and sees
its evidence highlighted, accepts, rejects and edits, loads a chart from the review queue, and asks
the chat a question whose answer streams in. Screenshot: test-output/coder-page.png (and
docs/coder-page.png for the README when CHARTPROOF_UPDATE_SCREENSHOT=1).

Without a browser the test skips, unless CHARTPROOF_E2E_REQUIRED=1 (set by `make test`), where it
fails: CI must not pass without having opened the page."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from knowledge.settings import Settings
from tests.api.conftest import KEYS
from tests.api.live import ROOT, LiveServer, chartproof_serve, data_dir_with_indexes

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.xdist_group("live-server")]

CHROMIUM = os.environ.get("CHARTPROOF_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEY = "alice-key"
OUTPUT = ROOT / "test-output"
NOTE = (
    "FOLLOW-UP VISIT\n"
    "S: 67 y/o woman for diabetes and kidney follow-up. Denies chest pain or dyspnea.\n"
    "Meds: metformin, lisinopril.\n"
    "O: BP 138/84.\n"
    "A/P:\n"
    "1. Type 2 diabetes mellitus with diabetic chronic kidney disease, CKD stage 3b - continue metformin.\n"
    "2. Essential hypertension - continue lisinopril.\n"
    "3. GERD without esophagitis.\n"
)


def _browser_path() -> str:
    path = shutil.which(CHROMIUM) or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if path is None:
        message = f"chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CHARTPROOF_E2E_REQUIRED") == "1":
            pytest.fail(f"{message}; CHARTPROOF_E2E_REQUIRED=1")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def server(built_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = data_dir_with_indexes(tmp_path_factory.mktemp("e2e"), built_settings.index_dir)
    with chartproof_serve(data_dir, CHARTPROOF_API_KEYS=KEYS) as live:
        yield live


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = _browser_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture()
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/")
    page.get_by_test_id("api-key").fill(KEY)
    page.get_by_test_id("api-key").press("Enter")
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _audit(server: LiveServer, audit_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/v1/audit/{audit_id}", headers={"X-API-Key": KEY}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _code_chart(page: Any, note: str = NOTE) -> str:
    from playwright.sync_api import expect

    page.get_by_test_id("chart-input").fill(note)
    page.get_by_test_id("chart-setting").select_option("outpatient")
    page.get_by_test_id("chart-specialty").fill("family_medicine")
    page.get_by_test_id("chart-age").fill("67")
    page.get_by_test_id("chart-sex").select_option("F")
    page.get_by_test_id("code-button").click()
    expect(page.get_by_test_id("code-card").first).to_be_visible(timeout=60_000)
    audit_id = page.get_by_test_id("chart-meta").get_attribute("data-audit-id")
    assert audit_id
    return audit_id


def test_code_highlight_accept_and_chat(page: Any, server: LiveServer) -> None:
    from playwright.sync_api import expect

    audit_id = _code_chart(page)
    expect(page.get_by_test_id("chart-view")).to_contain_text("Essential hypertension")
    result = _audit(server, audit_id)["result"]
    codes = [c["code"] for c in result["codes"]]
    assert len(codes) >= 2, codes
    expect(page.get_by_test_id("code-card")).to_have_count(len(codes))

    # Click a code: its evidence lights up in the chart and scrolls into view.
    chosen = "E11.22" if "E11.22" in codes else codes[0]
    card = page.locator(f'[data-testid="code-card"][data-code="{chosen}"]')
    card.get_by_test_id("code-select").click()
    marks = page.get_by_test_id("evidence-mark")
    evidence = [e["text"] for c in result["codes"] if c["code"] == chosen for e in c["evidence"]]
    expect(marks.first).to_be_visible()
    expect(marks.first).to_be_in_viewport()
    assert marks.first.get_attribute("data-code") == chosen
    shown = " ".join(marks.all_inner_texts())
    assert all(text in shown or shown in text for text in evidence), (shown, evidence)
    background = marks.first.evaluate("node => getComputedStyle(node).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), background
    expect(card.get_by_test_id("code-select")).to_have_attribute("aria-pressed", "true")

    # Accept the code, then submit: the chart's decision is recorded as accept by the key's owner.
    card.get_by_test_id("code-accept").click()
    expect(card).to_have_attribute("data-state", "accepted")
    page.get_by_test_id("submit-review").click()
    expect(page.get_by_test_id("decision").first).to_contain_text("accept")
    expect(page.get_by_test_id("review-status")).to_have_text("accepted")
    record = _audit(server, audit_id)
    assert [(d["decision"], d["reviewer"]) for d in record["decisions"]] == [("accept", "alice")]
    assert record["status"] == "accepted" and record["final_codes"] == codes

    # Ask the chat: the answer arrives in several pieces (streamed), then completes.
    page.evaluate(
        """() => {
            window.__chatUpdates = 0;
            const log = document.getElementById('chat-log');
            new MutationObserver((records) => { window.__chatUpdates += records.length; })
              .observe(log, {subtree: true, childList: true, characterData: true});
        }"""
    )
    page.get_by_test_id("chat-input").fill(f"why {chosen}?")
    page.get_by_test_id("chat-send").click()
    answer = page.get_by_test_id("chat-answer").last
    expect(answer).to_contain_text(chosen, timeout=60_000)
    expect(answer).not_to_have_class("bubble bubble-assistant streaming", timeout=60_000)
    expect(page.get_by_test_id("chat-send")).to_be_enabled()
    assert page.evaluate("window.__chatUpdates") > 3, "the answer did not stream in pieces"

    card.get_by_test_id("code-select").click()  # keep the highlight in the picture
    card.get_by_test_id("code-select").click()
    OUTPUT.mkdir(exist_ok=True)
    shot = OUTPUT / "coder-page.png"
    page.screenshot(path=str(shot))
    if os.environ.get("CHARTPROOF_UPDATE_SCREENSHOT") == "1":  # refresh the README's picture on purpose
        docs = ROOT / "docs"
        docs.mkdir(exist_ok=True)
        shutil.copyfile(shot, docs / "coder-page.png")
    assert shot.stat().st_size > 10_000


def test_reject_edit_and_load_from_the_queue(page: Any, server: LiveServer) -> None:
    from playwright.sync_api import expect

    audit_id = _code_chart(page)
    codes = [c["code"] for c in _audit(server, audit_id)["result"]["codes"]]
    rejected, edited = codes[-1], codes[0]
    page.locator(f'[data-testid="code-card"][data-code="{rejected}"]').get_by_test_id("code-reject").click()
    edited_card = page.locator(f'[data-testid="code-card"][data-code="{edited}"]')
    edited_card.get_by_test_id("code-edit").click()
    edited_card.get_by_test_id("code-edit-input").fill("E11.9")
    edited_card.get_by_test_id("code-edit-save").click()
    expect(edited_card).to_have_attribute("data-state", "edited")
    page.get_by_test_id("review-note").fill("CKD not linked in this test")
    page.get_by_test_id("submit-review").click()
    expect(page.get_by_test_id("review-status")).to_have_text("edited")
    record = _audit(server, audit_id)
    expected = ["E11.9" if c == edited else c for c in codes if c != rejected]
    assert record["decisions"][-1]["decision"] == "edit"
    assert record["decisions"][-1]["codes"] == expected
    assert record["decisions"][-1]["note"] == "CKD not linked in this test"

    # Load it back from the review queue (all statuses), as a coder picking up work would.
    page.reload()
    page.get_by_test_id("queue-status").select_option("all")
    item = page.locator(f'[data-testid="queue-item"][data-audit-id="{audit_id}"]')
    expect(item).to_be_visible(timeout=30_000)
    item.get_by_role("button").click()
    expect(page.get_by_test_id("chart-view")).to_contain_text("GERD without esophagitis")
    expect(page.get_by_test_id("review-status")).to_have_text("edited")
    expect(page.get_by_test_id("decision")).to_have_count(1)
    expect(page.get_by_test_id("code-card")).to_have_count(len(codes))


def test_a_wrong_key_shows_an_error(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("api-key").fill("wrong-key")
    page.get_by_test_id("api-key").press("Enter")
    page.get_by_test_id("chart-input").fill(NOTE)
    page.get_by_test_id("code-button").click()
    expect(page.get_by_test_id("error-banner")).to_contain_text("API key")
    expect(page.get_by_test_id("code-card")).to_have_count(0)


def test_the_api_docs_render_offline(browser: Any, server: LiveServer) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server.url) else outside.append(r.url))
    page.goto(server.url + "/docs")
    expect(page.get_by_text("/v1/code").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("/v1/threads/{thread_id}/messages").first).to_be_visible()
    context.close()
    assert not outside, f"/docs fetched from outside the server: {outside}"
