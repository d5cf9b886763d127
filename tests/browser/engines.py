"""WebKit (iPad Safari's engine) and Firefox for the engine tests: start, drive, always end.

WebKit runs as WebKitGTK's MiniBrowser under Selenium, on a private Xvfb display (it has no
headless mode and hangs silently without a display). Firefox ESR runs headless under Mozilla's
own Marionette client. Each tab is its own browser process, so each has its own cookies. A
watchdog kills every process an engine started if a test outlives its deadline: a hang then
fails the test instead of stalling CI.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.remote.remote_connection import RemoteConnection
from selenium.webdriver.webkitgtk.options import Options
from selenium.webdriver.webkitgtk.service import Service

from tests.support.server import free_port

ENGINES = ("webkit", "firefox")
ENTER = "\ue007"  # the WebDriver key code
WEBKIT_DRIVER = "WebKitWebDriver"
XVFB = "Xvfb"
FIREFOX = "firefox-esr"
XVFB_SCREEN = "1280x1024x24"
ENGINE_DEADLINE_SECONDS = 180.0  # a whole test with all its tabs; a healthy run takes < 1 min
START_TIMEOUT_SECONDS = 30.0
SOCKET_TIMEOUT_SECONDS = 60  # one driver command
STOP_TIMEOUT_SECONDS = 5.0
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.1
PAINT_SETTLE_SECONDS = 1.0  # WebKit paints a moment after the DOM changes

# Armed on every page a tab visits (the page's CSP does not apply to WebDriver scripts). It
# keeps uncaught script errors and refused (403) htmx requests until harvested. Errors thrown
# before a page is armed (during its load) are not seen.
HARVEST = """
const watch = window.__engineWatch;
if (!watch) {
  const fresh = { errors: [], refused: [] };
  window.__engineWatch = fresh;
  window.addEventListener("error", (e) => fresh.errors.push(String(e.message)));
  window.addEventListener("unhandledrejection", (e) => fresh.errors.push(String(e.reason)));
  document.addEventListener("htmx:after:request", (e) => {
    const response = e.detail && e.detail.ctx && e.detail.ctx.response;
    if (response && response.status === 403) fresh.refused.push(e.detail.ctx.request.action);
  });
}
const found = watch ? [...watch.errors, ...watch.refused.map((url) => "403 from " + url)] : [];
if (watch) { watch.errors.length = 0; watch.refused.length = 0; }
if (document.title.startsWith("Refused")) found.push("refused page: " + location.href);
return found;
"""
# Text as written in the page, whitespace collapsed (innerText would apply CSS text-transform).
TEXT = r"""
const el = document.querySelector(arguments[0]);
return el ? el.textContent.replace(/\s+/g, " ").trim() : null;
"""
FIND = r"""
const [css, text] = arguments;
const shown = (el) => el.textContent.replace(/\s+/g, " ");
return [...document.querySelectorAll(css)].find((el) => shown(el).includes(text)) || null;
"""


def require(*binaries: str) -> None:
    """Skip when an engine is not installed here; in CI a missing engine is a failure."""
    missing = [name for name in binaries if shutil.which(name) is None]
    if missing:
        message = f"not installed: {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def end_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process started in its own session, with everything it spawned."""
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    """Until the browser listens (the Marionette client's own wait leaks a socket per try)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while process.poll() is None and time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"{FIREFOX} did not open its Marionette port {port}")


def marionette() -> Any:
    """Mozilla's Marionette client class, imported when first needed."""
    with warnings.catch_warnings():
        # Its dependencies use deprecated modules at import (distro.linux_distribution,
        # telnetlib) and pytest's warnings are errors; only this import is excused.
        warnings.simplefilter("ignore", DeprecationWarning)
        from marionette_driver.marionette import Marionette  # type: ignore[import-untyped]
    return Marionette


class Watchdog:
    """Runs every registered kill after `seconds`, so a blocked driver call errors out."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._kills: list[Callable[[], None]] = []
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def guard(self, kill: Callable[[], None]) -> None:
        self._kills.append(kill)

    def _fire(self) -> None:
        self.fired = True
        for kill in reversed(self._kills):
            with suppress(Exception):
                kill()

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


class Tab(ABC):
    """One browser window of one engine, driven the way a person would use it."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    @abstractmethod
    def _navigate(self, url: str) -> None: ...

    @abstractmethod
    def script(self, source: str, *args: Any) -> Any:
        """Run `source` as a function body in the page and return its result."""

    @abstractmethod
    def async_script(self, source: str) -> Any:
        """Run `source` with a callback `arguments[0]`; wait for it."""

    @abstractmethod
    def press(self, element: Any, seconds: float) -> None:
        """Pointer down at the element's centre, wait `seconds`, pointer up."""

    @abstractmethod
    def _accept_dialog(self) -> str:
        """Accept the open confirm dialog and return its text; raise if there is none."""

    def accept_dialog(self) -> str:
        """Wait for the page's confirm dialog and accept it (no page script may run meanwhile:
        a driver dismisses an open dialog before running one)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                return self._accept_dialog()
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(POLL_SECONDS)

    @abstractmethod
    def png(self) -> bytes: ...

    @abstractmethod
    def quit(self) -> None: ...

    def goto(self, url: str) -> None:
        self.harvest()  # what the page being left saw
        self._navigate(url)
        self.harvest()

    def element(self, css: str, text: str = "") -> Any:
        """The first element matching `css` whose text contains `text`."""
        self.harvest()
        found = self.script(FIND, css, text)
        if found is None:
            raise AssertionError(f"no {css} with text {text!r} at {self.url}")
        return found

    def type_into(self, css: str, text: str) -> None:
        field = self.element(css)
        field.clear()
        # A typed "\n" is no key press in WebKit's driver: Enter is (a new line in a textarea).
        field.send_keys(text.replace("\n", ENTER))

    def click(self, css: str, text: str = "") -> None:
        self.element(css, text).click()

    def hold(self, css: str, seconds: float) -> None:
        self.press(self.element(css), seconds)

    def tap_centre(self, css: str, text: str = "") -> None:
        """A pointer press and release at the element's centre, as a finger would tap."""
        self.press(self.element(css, text), 0)

    def harvest(self) -> None:
        """Keep what the page's watcher saw (and arm it on a page that is new)."""
        self.problems.extend(self.script(HARVEST))

    @property
    def url(self) -> str:
        return str(self.script("return location.href"))

    def text(self, css: str) -> str:
        found = self.script(TEXT, css)
        return "" if found is None else str(found)

    def count(self, css: str) -> int:
        return int(self.script("return document.querySelectorAll(arguments[0]).length", css))

    def wait_until(
        self, check: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS
    ) -> None:
        deadline = time.monotonic() + seconds
        while True:
            self.harvest()
            if check():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {seconds:.0f} s for {what}; at {self.url}")
            time.sleep(POLL_SECONDS)

    def wait_for_text(self, css: str, expected: str, seconds: float = WAIT_SECONDS) -> None:
        what = f"{expected!r} in {css}: {self.text(css)!r}"
        self.wait_until(lambda: expected in self.text(css), what, seconds)

    def wait_for_path(self, predicate: Callable[[str], bool], what: str) -> None:
        self.wait_until(lambda: predicate(self.url.split("?")[0]), what)

    def screenshot(self, folder: Path, name: str) -> Path:
        time.sleep(PAINT_SETTLE_SECONDS)
        path = folder / f"{name}.png"
        path.write_bytes(self.png())
        return path


class WebKitTab(Tab):
    def __init__(self, display: str, watchdog: Watchdog, width: int, height: int) -> None:
        super().__init__()
        service = Service(
            executable_path=shutil.which(WEBKIT_DRIVER),
            env={**os.environ, "DISPLAY": display},
            log_output=subprocess.DEVNULL,
            popen_kw={"start_new_session": True},  # MiniBrowser and its helpers die with it
        )

        def kill() -> None:
            if service.process is not None:
                end_process(service.process)

        watchdog.guard(kill)
        self.service = service
        try:
            service.start()
            # Not webdriver.WebKitGTK(): it passes the address in a way Selenium deprecates.
            connection = RemoteConnection(
                client_config=ClientConfig(service.service_url, timeout=SOCKET_TIMEOUT_SECONDS)
            )
            self.driver = webdriver.Remote(connection, options=Options())
            self.driver.set_window_rect(width=width, height=height)
        except BaseException:
            kill()
            raise
        self.version = str(self.driver.capabilities["browserVersion"])

    def _navigate(self, url: str) -> None:
        self.driver.get(url)

    def script(self, source: str, *args: Any) -> Any:
        return self.driver.execute_script(source, *args)

    def async_script(self, source: str) -> Any:
        return self.driver.execute_async_script(source)

    def press(self, element: Any, seconds: float) -> None:
        chain = ActionChains(self.driver).move_to_element(element).click_and_hold()
        if seconds:
            chain.pause(seconds)
        chain.release().perform()

    def _accept_dialog(self) -> str:
        alert = self.driver.switch_to.alert
        message = alert.text
        alert.accept()
        return message

    def png(self) -> bytes:
        return self.driver.get_screenshot_as_png()

    def quit(self) -> None:
        with suppress(Exception):
            self.driver.quit()
        if self.service.process is not None:
            end_process(self.service.process)


class FirefoxTab(Tab):
    def __init__(self, workdir: Path, watchdog: Watchdog, width: int, height: int) -> None:
        super().__init__()
        port = free_port()
        profile = workdir / f"firefox-{port}"
        profile.mkdir()
        (profile / "user.js").write_text(f'user_pref("marionette.port", {port});\n')
        command = [FIREFOX, "--marionette", "-headless", "-no-remote", "-profile", str(profile),
                   "--remote-allow-system-access"]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        watchdog.guard(lambda: end_process(self.process))
        try:
            wait_for_port(port, self.process)
            self.client = marionette()(
                host="127.0.0.1", port=port, socket_timeout=SOCKET_TIMEOUT_SECONDS
            )
            self.client.start_session(timeout=START_TIMEOUT_SECONDS)
            self.client.set_window_rect(width=width, height=height)
        except BaseException:
            end_process(self.process)
            raise
        self.version = str(self.client.session_capabilities["browserVersion"])

    def _navigate(self, url: str) -> None:
        self.client.navigate(url)

    def script(self, source: str, *args: Any) -> Any:
        # sandbox=None: the page's own world, as geckodriver does; Marionette's default sandbox
        # sees the DOM through Xray wrappers, blind to page scripts' properties (htmx's state).
        return self.client.execute_script(source, script_args=args, sandbox=None)

    def async_script(self, source: str) -> Any:
        return self.client.execute_async_script(source, sandbox=None)

    def press(self, element: Any, seconds: float) -> None:
        pointer = self.client.actions.sequence("pointer", "mouse", {"pointerType": "mouse"})
        pointer.pointer_move(0, 0, origin=element).pointer_down()
        if seconds:
            pointer.pause(round(seconds * 1000))
        pointer.pointer_up().perform()

    def _accept_dialog(self) -> str:
        alert = self.client.switch_to_alert()
        message = str(alert.text)
        alert.accept()
        return message

    def png(self) -> bytes:
        return bytes(self.client.screenshot(format="binary", full=False))

    def quit(self) -> None:
        with suppress(Exception):
            self.client.delete_session()
        end_process(self.process)


class Engine:
    """Opens tabs of one engine; closes all of them (and its display) at the end."""

    def __init__(self, name: str, workdir: Path, watchdog: Watchdog) -> None:
        self.name = name
        self.workdir = workdir
        self.watchdog = watchdog
        self.tabs: list[Tab] = []
        self.display: str | None = None
        self._xvfb: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.name == "webkit":
            require(WEBKIT_DRIVER, XVFB)
            self._start_display()
        else:
            require(FIREFOX)

    def _start_display(self) -> None:
        # -displayfd: Xvfb picks a free display number itself and writes it to us.
        read_end, write_end = os.pipe()
        self._xvfb = subprocess.Popen(
            [XVFB, "-displayfd", str(write_end), "-screen", "0", XVFB_SCREEN, "-nolisten", "tcp"],
            pass_fds=[write_end],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        xvfb = self._xvfb
        self.watchdog.guard(lambda: end_process(xvfb))
        os.close(write_end)
        with os.fdopen(read_end) as answer:
            number = answer.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def open_tab(self, width: int, height: int) -> Tab:
        tab: Tab
        if self.name == "webkit":
            assert self.display is not None
            tab = WebKitTab(self.display, self.watchdog, width, height)
        else:
            tab = FirefoxTab(self.workdir, self.watchdog, width, height)
        self.tabs.append(tab)
        return tab

    def close(self) -> None:
        for tab in self.tabs:
            tab.quit()
        if self._xvfb is not None:
            end_process(self._xvfb)


@contextmanager
def engine(name: str, workdir: Path) -> Iterator[Engine]:
    """An engine whose every process ends with the block, or at the watchdog's deadline."""
    with Watchdog(ENGINE_DEADLINE_SECONDS) as watchdog:
        started = Engine(name, workdir, watchdog)
        try:
            started.start()
            yield started
        except Exception as error:
            if watchdog.fired:
                hung = f"{name} did not finish within {ENGINE_DEADLINE_SECONDS:.0f} s (killed)"
                pytest.fail(hung, pytrace=False)
            raise error
        finally:
            started.close()
