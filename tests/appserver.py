"""Serving the app for browser tests: ``streamlit run app.py`` on 127.0.0.1, and Debian's Chromium to drive it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.realdata import skip_or_fail

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("PATIMG_CHROMIUM", "/usr/bin/chromium"))
#: Only localhost traffic: Chromium's background networking would be refused on a closed network anyway.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> Path:
    """Debian's Chromium; skip without it (fail under CI, where `.ci/run` installs it)."""
    if not CHROMIUM.is_file():
        skip_or_fail(
            f"Chromium not found at {CHROMIUM} (apt-get install -y chromium, or set PATIMG_CHROMIUM)"
        )
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_app(collection: Path, log_path: Path, *, start_timeout: float = 120) -> Iterator[str]:
    """Run the app on a free local port against ``collection``; yields its URL, stops it afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    command += ["--browser.gatherUsageStats", "false"]
    env = {**os.environ, "PATIMG_COLLECTION": str(collection)}
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start (exit {server.poll()}); see {log_path}")
                time.sleep(0.5)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def wait_until_idle(page, *, timeout_ms: float | None = None) -> None:
    """Wait until the page's script run has finished (Streamlit marks its root ``data-test-script-state``).

    Typing into a widget while its page is still being drawn can be lost when the run ends and the widget
    is drawn again, so browser tests wait for this before they type.
    """
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout_ms)


def watch_external_requests(page) -> list[str]:
    """Start recording the URLs ``page`` asks for outside this machine; an offline app asks for none."""
    import urllib.parse

    seen: list[str] = []

    def record(request) -> None:
        url = request.url
        if url.startswith(("data:", "blob:", "about:", "chrome")):
            return
        if (urllib.parse.urlsplit(url).hostname or "") not in ("127.0.0.1", "localhost", "::1"):
            seen.append(url)

    page.on("request", record)
    return seen
