"""Every page and form of the portal and the console, as a person uses them, in headless
Chromium: axe-core's WCAG 2.2 AA rules on every page, and a screenshot of each."""

import json
from typing import Any

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import ADMIN_KEY, AXE, SHOTS

pytestmark = pytest.mark.browser

IVY_KEY = "cf_subject_sandbox_ivy_notmine"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def check_page(driver: Any, name: str, *, full: bool = True) -> None:
    """axe-core finds no WCAG 2.2 AA violation; the page is saved as a screenshot."""
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
    width = driver.get_window_size()["width"]
    if full:
        driver.set_window_size(width, min(max(height + 120, 600), 6000))
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    if full:
        driver.set_window_size(width, 1000)
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

    # Versions on demand (htmx fetches them into the page).
    auto = d.find_element(By.XPATH, "//article[.//h3[contains(., 'IVY-AUTO-1')]]")
    auto.find_element(By.PARTIAL_LINK_TEXT, "Versions").click()
    versions = WebDriverWait(d, 10).until(
        lambda _: auto.find_elements(By.CSS_SELECTOR, "ol.versions")
    )
    assert versions[0].text.startswith("Version 1")

    # She disputes it: first without a reason (refused on the form), then properly.
    go(d, auto.find_element(By.LINK_TEXT, "Dispute this account"))
    d.find_element(By.ID, "description").send_keys("I never opened this car loan.")
    go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert d.find_element(By.ID, "reason_code-error").text
    check_page(d, "04-portal-dispute-refused")
    Select(d.find_element(By.ID, "reason_code")).select_by_value("not_mine")
    go(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert "/portal/disputes" in d.current_url
    assert "days left" in d.find_element(By.CSS_SELECTOR, ".countdown").text
    assert "IVY-AUTO-1: not mine" in text(d)
    check_page(d, "05-portal-disputes")

    d.get(f"{server}/portal/file")
    assert "Disputed" in d.find_element(By.XPATH, "//h3[contains(., 'IVY-AUTO-1')]").text

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
    rows = d.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert rows
    assert all("Ivy Notmine" in r.text for r in rows)
    check_page(d, "07-portal-access-log")

    # Consents: give one, revoke it; freeze and unfreeze; a fraud alert.
    d.get(f"{server}/portal/consents")
    go(d, d.find_element(By.CSS_SELECTOR, "form.card button[type=submit]"))
    assert "active" in d.find_element(By.CSS_SELECTOR, "tbody").text
    assert (
        d.find_element(By.PARTIAL_LINK_TEXT, "Receipt").get_attribute("href").endswith("/receipt")
    )
    go(d, d.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'Revoke')]"))
    assert "revoked" in d.find_element(By.CSS_SELECTOR, "tbody").text
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Freeze my file']"))
    assert "frozen" in d.find_element(By.ID, "freeze").find_element(By.XPATH, "..").text
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Lift the freeze']"))
    go(d, d.find_element(By.XPATH, "//button[contains(., 'initial alert')]"))
    assert "Initial alert placed" in text(d)
    check_page(d, "08-portal-consents")

    # The console: the operator moves the clock past the dispute's deadline.
    d.get(f"{server}/console/")
    assert d.current_url.endswith("/console/sign-in")
    check_page(d, "09-console-sign-in")
    d.find_element(By.ID, "key").send_keys(ADMIN_KEY)
    go(d, d.find_element(By.CSS_SELECTOR, "form.card button[type=submit]"))
    assert "Verified:" in text(d)
    assert "fires 1 dispute deadline" in text(d)
    check_page(d, "10-console")
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Advance 30 days']"))
    assert "fires 0 dispute deadlines" in text(d)

    # Ivy's portal shows the result: the item is gone, a notice says why.
    d.get(f"{server}/portal/disputes")
    assert "resolved" in text(d)
    assert "0 days left" not in text(d)
    d.get(f"{server}/portal/file")
    assert "IVY-AUTO-1" not in text(d)
    d.get(f"{server}/portal/notices")
    check_page(d, "11-portal-notices")
    go(d, d.find_element(By.CSS_SELECTOR, ".list a"))
    check_page(d, "12-portal-notice")

    # A statement: refused when empty (next to the field), then refused by the rule that a
    # statement is for a dispute verified against her (hers was resolved her way).
    d.get(f"{server}/portal/disputes")
    assert "Account no longer on the file: not mine" in text(d)
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Add the statement']"))
    assert d.find_element(By.ID, "text-error").text
    d.find_element(By.ID, "text").send_keys("The car loan was opened by someone else.")
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Add the statement']"))
    assert "verified against you" in d.find_element(By.ID, "problem").text
    check_page(d, "13-portal-disputes-after")

    # Phone width.
    d.set_window_size(390, 900)
    d.get(f"{server}/portal/file")
    check_page(d, "14-portal-my-file-phone")
    d.set_window_size(1280, 1000)

    # Signing out ends the session.
    go(d, d.find_element(By.XPATH, "//button[normalize-space()='Sign out']"))
    d.get(f"{server}/portal/file")
    assert d.current_url.endswith("/portal/sign-in")
