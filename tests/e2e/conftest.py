"""Browser fixtures: the app served from a thread, Debian's Chromium driven by Playwright.

The app is built here with make_app (not the `app` fixture) so no app context stays pushed
in the test thread while the server thread answers the browser; tests push one only briefly
to create their data, and commit there.

Every page a test's browser loads is checked with axe-core (axe-playwright-python ships
axe.min.js; nothing is downloaded): see AxeAudit below.
"""

import asyncio
import os
import threading
from pathlib import Path

import greenlet
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright._impl._sync_base import SyncBase
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


@pytest.fixture
def live_app(make_app):
    """The app the live server serves; CSRF on, as in production, since a real browser posts the forms."""
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def live_server(live_app):
    """Serve `live_app` on a free local port from a daemon thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (Debian's package; never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if os.environ.get("REQUIRE_E2E") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# axe-core impacts that fail a test; "minor" and "moderate" findings are not gated.
AXE_FAILING_IMPACTS = ("serious", "critical")
# Rules switched off, each with its reason. Keep this empty unless a rule is wrong for us.
AXE_DISABLED_RULES: dict[str, str] = {}
# Findings of a rule ignored only on pages that match a selector, each with its reason.
AXE_EXCUSED = {
    # The recall notices page reloads itself while emails wait for the mail worker, and says so
    # next to a "Stop reloading" link (?refresh=off). WCAG 2.2.1 is met by a way to turn the
    # timing off, which axe cannot see; a page that reloads without that link still fails.
    "meta-refresh": 'a[href*="refresh=off"]',
}
_AXE = Axe()  # reads the bundled axe.min.js once


class AxeAudit:
    """Runs axe-core on each page load of a test's pages and fails on serious or critical findings.

    A page's `load` event only records (page, url): no Playwright call may run inside an event
    handler. The audit itself runs at the next Playwright call the test makes (every sync call
    goes through SyncBase._sync, patched by the `axe_audit` fixture) and at teardown. At that
    point the load has happened and the test has not yet started anything new, so no navigation
    is in flight. A load whose page has moved on since (its URL changed, a later load is queued,
    or the page is closed) is skipped: the later load is audited instead.
    """

    def __init__(self):
        self.pending: list[tuple] = []
        self.audited: list[str] = []  # URLs checked, for tests that want to know
        self._test_greenlet = greenlet.getcurrent()
        self._running = False

    def watch(self, page) -> None:
        """Audit every load of `page` from now on."""
        page.on("load", lambda loaded: self.pending.append((loaded, loaded.url)))

    def flush(self) -> None:
        """Audit the queued loads (only from the test's own greenlet, never re-entrantly)."""
        if self._running or not self.pending or greenlet.getcurrent() is not self._test_greenlet:
            return
        self._running = True
        try:
            queue, self.pending = self.pending, []
            for index, (page, url) in enumerate(queue):
                later = any(other is page for other, _ in queue[index + 1 :])
                if later or page.is_closed() or page.url != url:
                    continue
                self.check(page)
        finally:
            self._running = False

    def check(self, page) -> None:
        """Run axe on the page as it is now; raise AssertionError listing serious/critical violations."""
        options = {"resultTypes": ["violations"]}
        if AXE_DISABLED_RULES:
            options["rules"] = {rule: {"enabled": False} for rule in AXE_DISABLED_RULES}
        results = _AXE.run(page, options=options)
        self.audited.append(page.url)
        failing = [
            v
            for v in results.response["violations"]
            if v["impact"] in AXE_FAILING_IMPACTS
            and not (v["id"] in AXE_EXCUSED and page.locator(AXE_EXCUSED[v["id"]]).count())
        ]
        if failing:
            lines = [f"axe-core: {len(failing)} serious/critical accessibility violation(s) on {page.url}"]
            for violation in failing:
                lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
                for node in violation["nodes"][:10]:
                    lines.append(f"    {', '.join(map(str, node['target']))}  {node.get('failureSummary', '')!r}")
            raise AssertionError("\n".join(lines))


@pytest.fixture
def axe_audit(monkeypatch):
    """The test's AxeAudit; while it is active every Playwright call first audits queued page loads."""
    audit = AxeAudit()
    original = SyncBase._sync

    def _sync(self, awaitable):
        __tracebackhide__ = True
        try:
            audit.flush()
        except BaseException:
            if asyncio.iscoroutine(awaitable):
                awaitable.close()  # the call is not made; don't leave an un-awaited coroutine
            raise
        return original(self, awaitable)

    monkeypatch.setattr(SyncBase, "_sync", _sync)
    return audit


@pytest.fixture
def new_page(browser, axe_audit):
    """new_page() -> a page in a fresh browser context (its own cookies), audited by axe on every
    load; all closed after the test."""
    contexts = []

    def make():
        context = browser.new_context()
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        axe_audit.watch(page)
        return page

    yield make
    try:
        axe_audit.flush()  # the last page the test loaded
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_page):
    """A page in a fresh browser context, closed after the test."""
    return new_page()
