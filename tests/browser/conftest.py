"""Browser tests: a real sandbox server (its own SQLite file, the personas loaded) driven by
Debian's headless Chromium through chromium-driver, one browser for the whole module.
Skipped, saying why, when Chromium or its driver is missing (`.ci/run` installs them)."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
AXE = Path(__file__).with_name("axe.min.js")
HOST = "127.0.0.1"
ADMIN_KEY = "cf_admin_browser_test_key_that_is_long_enough"

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM and DRIVER:
        return
    skip = pytest.mark.skip(
        reason="browser tests need Debian's chromium and chromium-driver "
        "(apt-get install chromium chromium-driver); .ci/run installs them"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    env = dict(os.environ)
    env["CLEARFILE_DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.db'}"
    env["CLEARFILE_ADMIN_KEY"] = ADMIN_KEY
    env["CLEARFILE_DUE_WORK_INTERVAL_SECONDS"] = "0"
    env["CLEARFILE_WEBHOOK_WORKER"] = "false"  # no page here waits for a webhook
    command = [sys.executable, "-m", "service.cli", "serve", "--host", HOST, "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):  # noqa: S310 - loopback
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the sandbox server did not start") from None
            time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"):
        options.add_argument(arg)
    options.add_argument("--disable-dev-shm-usage")
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
