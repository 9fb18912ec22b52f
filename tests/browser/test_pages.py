"""Every page and form of the portal and the console, as a person uses them, in headless
Chromium: axe-core's WCAG 2.2 AA rules on every page, and a screenshot of each."""

import json
import shutil
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import ADMIN_KEY, AXE, SHOTS

pytestmark = pytest.mark.browser

IVY_KEY = "cf_subject_sandbox_ivy_notmine"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


#: The phone the pages are checked at: CSS pixels, as Chrome's device emulation sets them (a
#: headless window cannot be made narrower than 500 pixels).
PHONE_WIDTH, PHONE_HEIGHT = 390, 844


def phone(driver: Any, on: bool, height: int = PHONE_HEIGHT) -> None:
    """Show pages as a phone of PHONE_WIDTH does (``on``), or as the desktop window again."""
    if on:
        metrics = {"width": PHONE_WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def check_page(driver: Any, name: str, *, full: bool = True, on_phone: bool = False) -> None:
    """axe-core finds no WCAG 2.2 AA violation; the page is saved as a screenshot, from its
    top (not where an anchor scrolled it). On a phone, nothing is wider than the screen."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', help: String(e)}]));",
        WCAG_TAGS,
    )
    violations = [
        {"id": v["id"], "help": v["help"], "nodes": [n.get("html") for n in v.get("nodes", [])][:3]}
        for v in result
    ]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    if on_phone:
        widths = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert widths[1] == PHONE_WIDTH, widths
        assert widths[0] <= widths[1], f"{name} scrolls sideways at phone width: {widths}"
        phone(driver, True, min(max(height, PHONE_HEIGHT), 6000))
    elif full:
        width = driver.get_window_size()["width"]
        driver.set_window_size(width, min(max(height + 120, 600), 6000))
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    if on_phone:
        phone(driver, True)
    elif full:
        driver.set_window_size(driver.get_window_size()["width"], 1000)
    assert violations == [], json.dumps(violations, indent=1)


def go(driver: Any, element: Any) -> None:
    """Click a link or button that loads a new page, and wait until it has.

    The old page is marked with a window property that a new document does not carry. Polling
    for that mark (rather than for a stale element) tolerates chromedriver's transient
    "cannot find context" errors while the navigation is under way.
    """
    driver.execute_script("window.__clearfileOldPage = true")
    element.click()
    WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return !window.__clearfileOldPage && document.readyState === 'complete'"
        )
    )


def text(driver: Any) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def sign_in_as(driver: Any, server: str, name: str) -> None:
    """Sign in to the portal from the sign-in page's persona list, as a person would."""
    driver.get(f"{server}/portal/sign-in")
    go(driver, driver.find_element(By.LINK_TEXT, name))
    go(driver, driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]"))
    assert driver.current_url.endswith("/portal/file"), driver.current_url


def sign_out(driver: Any) -> None:
    go(driver, driver.find_element(By.XPATH, "//button[normalize-space()='Sign out']"))


def file_dispute(driver: Any, reason: str, description: str, field: str | None = None) -> None:
    """On the dispute form: choose the reason (and the detail), say what happened, send."""
    if field is not None:
        Select(driver.find_element(By.ID, "field")).select_by_value(field)
    Select(driver.find_element(By.ID, "reason_code")).select_by_value(reason)
    driver.find_element(By.ID, "description").send_keys(description)
    go(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert "/portal/disputes" in driver.current_url, driver.current_url


def dispute_card(driver: Any, heading: str) -> Any:
    return driver.find_element(By.XPATH, f"//article[.//h2[contains(., '{heading}')]]")


def test_the_walk_through(server: str, browser: Any) -> None:
    d = browser
    # Signing in with a wrong key fails on the form, next to the field.
    d.get(f"{server}/portal/sign-in")
    check_page(d, "01-portal-sign-in")
    d.find_element(By.ID, "key").send_keys("cf_subject_not_a_key")
    go(d, d.find_element(By.CSS_SELECTOR, "form.card button[type=submit]"))
    assert "not a valid key for this sign-in" in d.find_element(By.ID, "key-error").text
    check_page(d, "02-portal-sign-in-refused")

    # Ivy signs in from the persona list (her key filled in) and sees the account not hers.
    go(d, d.find_element(By.LINK_TEXT, "Ivy Notmine"))
    assert d.find_element(By.ID, "key").get_attribute("value") == IVY_KEY
    go(d, d.find_element(By.CSS_SELECTOR, "form.card button[type=submit]"))
    assert d.current_url.endswith("/portal/file")
    assert "IVY-AUTO-1" in text(d)
    check_page(d, "03-portal-my-file")

    # Versions on demand (htmx fetches them into the page) ...
    auto = d.find_element(By.XPATH, "//article[.//h3[contains(., 'IVY-AUTO-1')]]")
    versions_link = auto.find_element(By.PARTIAL_LINK_TEXT, "Versions")
    versions_url = versions_link.get_attribute("href")
    versions_link.click()
    versions = WebDriverWait(d, 10).until(
        lambda _: auto.find_elements(By.CSS_SELECTOR, "ol.versions")
    )
    assert versions[0].text.startswith("Version 1")
    assert d.current_url.endswith("/portal/file")
    # ... and, for a browser without script, the same link opens them as a page of their own.
    d.get(versions_url)
    assert d.find_element(By.TAG_NAME, "h1").text.endswith("IVY-AUTO-1")
    assert "Version 1" in d.find_element(By.CSS_SELECTOR, "ol.versions").text
    check_page(d, "15-portal-versions")
    go(d, d.find_element(By.LINK_TEXT, "Back to my file"))
    auto = d.find_element(By.XPATH, "//article[.//h3[contains(., 'IVY-AUTO-1')]]")

    # She disputes it: first without a reason (refused on the form), then properly.
    go(d, auto.find_element(By.LINK_TEXT, "Dispute this account"))
    d.find_element(By.ID, "description").send_keys("I never opened this car loan.")
    go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert d.find_element(By.ID, "reason_code-error").text == "Choose a reason"
    assert d.find_element(By.ID, "reason_code").get_attribute("aria-invalid") == "true"
    assert "Input should" not in text(d)
    check_page(d, "04-portal-dispute-refused")
    Select(d.find_element(By.ID, "reason_code")).select_by_value("not_mine")
    go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert "/portal/disputes" in d.current_url
    card = dispute_card(d, "IVY-AUTO-1")
    assert "days left" in card.find_element(By.CSS_SELECTOR, ".countdown").text
    assert "It is not mine" in card.text

    # And the hard inquiry that was the impostor's application, from its row on My file.
    d.get(f"{server}/portal/file")
    row = d.find_element(By.XPATH, "//tr[td[contains(., 'Sandbox Credit Union')]]")
    go(d, row.find_element(By.PARTIAL_LINK_TEXT, "Dispute"))
    assert "The inquiry by Sandbox Credit Union" in d.find_element(By.CSS_SELECTOR, ".lede").text
    file_dispute(d, "not_mine", "I applied for no credit at this union; the impostor did.")
    assert "days left" in dispute_card(d, "Inquiry by Sandbox Credit Union").text
    check_page(d, "05-portal-disputes")

    d.get(f"{server}/portal/file")
    assert "Disputed" in d.find_element(By.XPATH, "//h3[contains(., 'IVY-AUTO-1')]").text
    row = d.find_element(By.XPATH, "//tr[td[contains(., 'Sandbox Credit Union')]]")
    assert "Disputed" in row.text
    # At phone width the file is laid out for a narrow screen (the inquiries' rows stacked).
    phone(d, True)
    try:
        d.get(f"{server}/portal/file")
        check_page(d, "14-portal-my-file-phone", on_phone=True)
    finally:
        phone(d, False)

    # My score, and a what-if.
    d.get(f"{server}/portal/score")
    assert d.find_element(By.CSS_SELECTOR, "svg.chart")
    d.find_element(By.CSS_SELECTOR, "input[value=months_pass]").click()
    d.find_element(By.ID, "months").send_keys("12")
    go(d, d.find_element(By.CSS_SELECTOR, "#what-if button[type=submit]"))
    assert "That would give" in d.find_element(By.CSS_SELECTOR, ".result").text
    check_page(d, "06-portal-my-score")

    # Who has seen my file, filtered by role.
    d.get(f"{server}/portal/access-log")
    Select(d.find_element(By.ID, "role")).select_by_value("subject")
    go(d, d.find_element(By.CSS_SELECTOR, "form.filters button"))
    rows = rows_of(d)
    assert all("Ivy Notmine" in r.text for r in rows)
    assert {r.find_elements(By.TAG_NAME, "td")[3].text for r in rows} >= {"report read"}
    Select(d.find_element(By.ID, "action")).select_by_visible_text("dispute filed")
    go(d, d.find_element(By.CSS_SELECTOR, "form.filters button"))
    assert len(rows_of(d)) == 2  # the account and the inquiry
    assert {r.find_elements(By.TAG_NAME, "td")[3].text for r in rows_of(d)} == {"dispute filed"}
    Select(d.find_element(By.ID, "action")).select_by_value("")
    go(d, d.find_element(By.CSS_SELECTOR, "form.filters button"))
    check_page(d, "07-portal-access-log")

    # Consents: give one, download its receipt, revoke it; freeze and unfreeze; a fraud alert.
    d.get(f"{server}/portal/consents")
    go(d, d.find_element(By.CSS_SELECTOR, "form.card button[type=submit]"))
    assert "active" in d.find_element(By.CSS_SELECTOR, "tbody").text
    receipt = download(d, d.find_element(By.PARTIAL_LINK_TEXT, "Receipt"), "consent-receipt-")
    assert receipt["pii_principal"]["name"] == "Ivy Notmine"
    assert receipt["state"] == "active"
    assert [p["purpose"] for p in receipt["purposes"]] == ["credit_application"]
    go(d, d.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'Revoke')]"))
    assert "revoked" in d.find_element(By.CSS_SELECTOR, "tbody").text
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Freeze my file']"))
    assert "frozen" in d.find_element(By.ID, "freeze").find_element(By.XPATH, "..").text
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Lift the freeze']"))
    go(d, d.find_element(By.XPATH, "//button[contains(., 'initial alert')]"))
    assert "Initial alert placed" in text(d)
    check_page(d, "08-portal-consents")

    # The console: the operator moves the clock past the disputes' deadlines.
    d.get(f"{server}/console/")
    assert d.current_url.endswith("/console/sign-in")
    check_page(d, "09-console-sign-in")
    d.find_element(By.ID, "key").send_keys(ADMIN_KEY)
    go(d, d.find_element(By.CSS_SELECTOR, "form.card button[type=submit]"))
    assert "Verified:" in text(d)
    assert "fires 2 dispute deadlines" in text(d)
    check_page(d, "10-console")
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Advance 30 days']"))
    assert "fires 0 dispute deadlines" in text(d)

    # Ivy's portal shows the result: the items are gone, notices say why.
    d.get(f"{server}/portal/disputes")
    assert "days left" not in text(d)
    gone = dispute_card(d, "An account no longer on your file")
    assert "Resolved: not answered in time, so the item was removed" in gone.text
    assert "I never opened this car loan." in gone.text
    assert "An inquiry no longer on your file" in text(d)
    # Neither was verified against her, so there is nothing to add a statement to.
    assert not d.find_elements(By.ID, "text")
    assert "nothing to add a statement to" in text(d)
    check_page(d, "13-portal-disputes-after")
    d.get(f"{server}/portal/file")
    assert "IVY-AUTO-1" not in text(d)
    assert (
        "Sandbox Credit Union"
        not in d.find_element(By.ID, "inquiries-h").find_element(By.XPATH, "..").text
    )
    d.get(f"{server}/portal/notices")
    check_page(d, "11-portal-notices")
    go(d, d.find_element(By.CSS_SELECTOR, ".list a"))
    assert "Not answered in time, so the item was removed" in text(d)
    assert "on a range of 300 to 850" in text(d)
    check_page(d, "12-portal-notice")

    # Signing out ends the session.
    sign_out(d)
    d.get(f"{server}/portal/file")
    assert d.current_url.endswith("/portal/sign-in")


def test_a_statement_after_a_dispute_verified_against_him(server: str, browser: Any) -> None:
    d = browser
    sign_in_as(d, server, "Percy Pastdue")

    # His identity details: he says his address is wrong.
    go(d, d.find_element(By.LINK_TEXT, "Dispute my identity details"))
    assert d.find_element(By.CSS_SELECTOR, ".lede").text.startswith("My identity details.")
    check_page(d, "16-portal-dispute-identity")
    file_dispute(d, "other", "My flat number is missing from the address.", field="addresses")
    assert "My identity details: addresses" in text(d)

    # His card: he says its status is wrong; the card issuer verifies it as reported.
    d.get(f"{server}/portal/file")
    card = d.find_element(By.XPATH, "//article[.//h3[contains(., 'PERCY-CARD-1')]]")
    go(d, card.find_element(By.LINK_TEXT, "Dispute this account"))
    file_dispute(d, "wrong_status", "The issuer agreed to pause my payments while I was ill.")
    dispute_id = dispute_card(d, "PERCY-CARD-1").get_attribute("id")
    assert not d.find_elements(By.ID, "text")  # nothing verified yet
    answer_as_furnisher(server, "cf_furnisher_sandbox_card_co", dispute_id, "verified")

    d.get(f"{server}/portal/disputes")
    verified = dispute_card(d, "PERCY-CARD-1")
    assert "Resolved: the furnisher verified the item as reported" in verified.text
    # An empty statement is refused next to its field; then he writes it.
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Add the statement']"))
    assert d.find_element(By.ID, "text-error").text == "Write the statement"
    assert d.find_element(By.ID, "text").get_attribute("aria-invalid") == "true"
    check_page(d, "17-portal-statement-refused")
    statement = "The issuer agreed to pause my payments while I was in hospital in August."
    d.find_element(By.ID, "text").send_keys(statement)
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Add the statement']"))
    shown = d.find_element(By.CSS_SELECTOR, "section[aria-labelledby=statements] blockquote")
    assert statement in shown.text
    assert "PERCY-CARD-1" in shown.text
    assert not d.find_elements(By.ID, "text")  # one statement per verified dispute
    check_page(d, "18-portal-statement")
    d.get(f"{server}/portal/file")
    assert statement in d.find_element(By.ID, "statements-h").find_element(By.XPATH, "..").text
    sign_out(d)


def test_a_public_record_dispute(server: str, browser: Any) -> None:
    d = browser
    sign_in_as(d, server, "Chester Sevenfold")
    record = d.find_element(By.XPATH, "//article[.//h3[contains(., 'Chapter 7 bankruptcy')]]")
    go(d, record.find_element(By.LINK_TEXT, "Dispute this record"))
    assert "The Chapter 7 bankruptcy filed" in d.find_element(By.CSS_SELECTOR, ".lede").text
    file_dispute(d, "wrong_status", "It was discharged, and says so only in part.")
    assert "days left" in dispute_card(d, "Chapter 7 bankruptcy filed").text
    d.get(f"{server}/portal/file")
    record = d.find_element(By.XPATH, "//article[.//h3[contains(., 'Chapter 7 bankruptcy')]]")
    assert "Disputed" in record.text
    assert not record.find_elements(By.LINK_TEXT, "Dispute this record")
    sign_out(d)


def test_every_portal_page_fits_a_phone(server: str, browser: Any) -> None:
    d = browser
    sign_in_as(d, server, "Percy Pastdue")
    d.get(f"{server}/portal/file")
    account = d.find_element(By.CSS_SELECTOR, "article.account").get_attribute("id")
    pages = {
        "file": "/portal/file",
        "versions": f"/portal/file/accounts/{account}/versions",
        "dispute-new": f"/portal/disputes/new?item_type=account&item_id={account}",
        "disputes": "/portal/disputes",
        "score": "/portal/score",
        "access-log": "/portal/access-log",
        "consents": "/portal/consents",
        "notices": "/portal/notices",
    }
    phone(d, True)
    try:
        for name, path in pages.items():
            d.get(f"{server}{path}")
            check_page(d, f"phone-portal-{name}", on_phone=True)
        go(d, d.find_element(By.CSS_SELECTOR, ".list a"))
        check_page(d, "phone-portal-notice", on_phone=True)
        sign_out(d)
        check_page(d, "phone-portal-sign-in", on_phone=True)
        d.get(f"{server}/console/")
        check_page(d, "phone-console", on_phone=True)
    finally:
        phone(d, False)


def answer_as_furnisher(server: str, key: str, dispute_id: str, outcome: str) -> None:
    """The furnisher answers a dispute through the API, as its systems do (no page)."""
    request = urllib.request.Request(  # noqa: S310 - the test's own loopback server
        f"{server}/v1/furnisher/disputes/{dispute_id}/response",
        data=json.dumps({"outcome": outcome}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.status == 200


def download(driver: Any, link: Any, prefix: str) -> Any:
    """Click a download link; the downloaded JSON file's content."""
    folder = SHOTS.parent / "downloads"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)}
    )
    link.click()
    files = WebDriverWait(driver, 15).until(
        lambda _: [f for f in folder.glob(f"{prefix}*.json") if not f.name.endswith(".crdownload")]
    )
    return json.loads(files[0].read_text(encoding="utf-8"))


def _shown(clock: str) -> datetime:
    """The moment the console shows as "31 December 2026, 14:58 UTC"."""
    return datetime.strptime(clock, "%d %B %Y, %H:%M UTC").replace(tzinfo=UTC)


def test_the_console(server: str, browser: Any) -> None:
    d = browser
    d.get(f"{server}/console/")
    if d.current_url.endswith("/console/sign-in"):
        d.find_element(By.ID, "key").send_keys(ADMIN_KEY)
        go(d, d.find_element(By.CSS_SELECTOR, "form.card button[type=submit]"))
    clock_before = d.find_element(By.CSS_SELECTOR, "#clock ~ .big").text

    # Setting the clock back is refused next to the field; forward to a day works. (A date
    # field's typed form depends on the browser's locale, so the day is set as its value.)
    set_day = d.find_element(By.ID, "to")
    d.execute_script("arguments[0].value = '2020-01-01'", set_day)
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Set']"))
    assert d.find_element(By.ID, "now-error").text == "earlier than the current sandbox time"
    # The clock runs on with the wall clock, so it may have turned a minute meanwhile.
    clock_after = d.find_element(By.CSS_SELECTOR, "#clock ~ .big").text
    assert timedelta(0) <= _shown(clock_after) - _shown(clock_before) <= timedelta(minutes=1)
    check_page(d, "19-console-clock-refused")
    year = int(clock_before.split(",")[0].split()[-1]) + 1
    d.execute_script(f"arguments[0].value = '{year}-01-04'", d.find_element(By.ID, "to"))
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Set']"))
    assert d.find_element(By.CSS_SELECTOR, "#clock ~ .big").text == f"4 January {year}, 00:00 UTC"

    # A persona's link opens the portal's sign-in in a new tab with the key filled in; she
    # signs in as herself, and her access log names her, not the operator.
    console_tab = d.current_window_handle
    d.find_element(By.PARTIAL_LINK_TEXT, "Ivy Notmine").click()
    WebDriverWait(d, 15).until(lambda _: len(d.window_handles) == 2)
    d.switch_to.window(next(h for h in d.window_handles if h != console_tab))
    try:
        WebDriverWait(d, 15).until(lambda _: d.find_elements(By.ID, "key"))
        assert d.find_element(By.ID, "key").get_attribute("value") == IVY_KEY
        go(d, d.find_element(By.CSS_SELECTOR, "form.card button[type=submit]"))
        d.get(f"{server}/portal/access-log?action=report.read")
        readers = {r.find_elements(By.TAG_NAME, "td")[1].text for r in rows_of(d)}
        assert readers == {"Ivy Notmine"}
        sign_out(d)
    finally:
        d.close()
        d.switch_to.window(console_tab)

    # Reset: the personas' files as loaded, the clock back at wall time, the chain verified.
    d.get(f"{server}/console/")
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Reset the sandbox']"))
    assert d.current_url.endswith("/console/")
    assert "Verified:" in text(d)
    assert str(year) not in d.find_element(By.CSS_SELECTOR, "#clock ~ .big").text
    assert "fires 0 dispute deadlines" in text(d)
    sign_in_as(d, server, "Ivy Notmine")
    assert "IVY-AUTO-1" in text(d)
    sign_out(d)


def rows_of(driver: Any) -> list[Any]:
    rows: list[Any] = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert rows
    return rows
