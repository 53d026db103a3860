"""One browser tab without the browser: Streamlit's websocket protocol spoken as its front end speaks it.

A tab connects to `/_stcore/stream` offering the subprotocols the front end offers ("streamlit", then its XSRF
token, which a tab that never loaded the page lacks: the front end then sends a placeholder). It asks for every
script run with a `BackMsg` whose `rerun_script` is a `ClientState`, and reads one `ForwardMsg` per binary frame.
What the front end does, and so this tab does too:

- the first run names the page by its address path (`page_name`, no `page_script_hash`); every page switch names
  it by the `page_script_hash` that `st.navigation` sent in `navigation.app_pages`, with an empty query string;
- a button is pressed by sending its widget id (from the button element in the deltas) with `trigger_value`, and
  with the delta's `fragment_id` when the button lives in a fragment, which then reruns alone;
- large elements come once: the tab keeps the cacheable ones, reports their hashes in `cached_message_hashes`,
  and reads the `ref_hash` messages the server sends in their place from its cache;
- the address follows `page_info_changed`, and fragments with `run_every` are rerun when `follow_auto_reruns`
  is called (the front end does it on a timer);
- pictures are fetched from the server's `/media/` over HTTP, as an `<img>` would; a picture sent inside the message
  as a data address is checked to be a PNG.

Widget values other than a pressed button are not sent: Streamlit keeps a widget's previous value when a rerun
does not carry one, which is the value the browser would have sent. Only loopback servers are meant: the tab
bypasses any proxy.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

STREAM_PATH = "/_stcore/stream"
# What Streamlit's front end offers when it has no XSRF cookie: the subprotocol, then a stand-in for the token.
SUBPROTOCOLS = ["streamlit", "PLACEHOLDER_AUTH_TOKEN"]
RUN_TIMEOUT_SECONDS = 60.0  # a page run that has not finished by then counts as an error
CONNECT_TIMEOUT_SECONDS = 60.0  # a hundred tabs connecting at once to a busy 2-core server can take a while
MEDIA_TIMEOUT_SECONDS = 30.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEFAULT_MAX_CACHED_MESSAGE_AGE = 2  # script runs a cached message survives unused (Streamlit's default)
SUCCESS = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


def decode_forward_msg(data: bytes) -> ForwardMsg:
    """One websocket frame from the server as the ForwardMsg it holds."""
    if isinstance(data, str):
        raise ValueError("Streamlit sent a text frame; its protocol has binary protobuf frames only.")
    message = ForwardMsg()
    message.ParseFromString(data)
    return message


def rerun_message(query_string: str = "", page_script_hash: str = "", page_name: str = "",
                  triggered_widget: str = "", fragment_id: str = "", is_auto_rerun: bool = False,
                  cached_message_hashes=()) -> bytes:
    """The serialized BackMsg asking for a script run: of the page with that hash (or, on a first visit, with that
    address path), with a button's widget id triggered, or of one fragment alone."""
    message = BackMsg()
    state = message.rerun_script
    state.query_string = query_string
    state.page_script_hash = page_script_hash
    state.page_name = page_name
    state.fragment_id = fragment_id
    state.is_auto_rerun = is_auto_rerun
    state.cached_message_hashes.extend(cached_message_hashes)
    state.widget_states.SetInParent()
    if triggered_widget:
        widget = state.widget_states.widgets.add()
        widget.id = triggered_widget
        widget.trigger_value = True
    return message.SerializeToString()


@dataclass
class Button:
    widget_id: str
    fragment_id: str  # "" when the button is not inside a fragment


@dataclass
class PageRun:
    """What one script run sent, from the rerun request to its end: its time, how it ended, and what it showed."""

    started: float = field(default_factory=time.perf_counter)
    seconds: float | None = None  # from the request to the script_finished that ended the run
    status: int | None = None  # the ForwardMsg.ScriptFinishedStatus that ended it
    error: str | None = None  # why the run failed: a compile error, page not found, a timeout, a lost connection
    exceptions: list[str] = field(default_factory=list)  # exception elements the page showed
    error_boxes: list[str] = field(default_factory=list)  # the page's own st.error sentences
    received_bytes: int = 0  # the run's messages as sent (compression aside), references resolved or not
    buttons: dict[str, Button] = field(default_factory=dict)  # by label
    media_paths: list[str] = field(default_factory=list)
    media_errors: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.seconds is not None

    @property
    def ok(self) -> bool:
        return self.finished and self.error is None and not self.media_errors

    def take(self, message: ForwardMsg) -> bool:
        """Read one message of this run (cached references already resolved); True once it ended the run.

        A run chain can include `st.rerun()`: its FINISHED_EARLY_FOR_RERUN is not the end, the next run is.
        """
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self._take_element(message.delta.new_element, message.delta.fragment_id)
        elif kind == "page_not_found":
            self.error = f"page not found: {message.page_not_found.page_name!r}"
        elif kind == "session_event" and message.session_event.HasField("script_compilation_exception"):
            exception = message.session_event.script_compilation_exception
            self.exceptions.append(f"{exception.type}: {exception.message}")
        elif kind == "script_finished" and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.end(message.script_finished)
            return True
        return False

    def _take_element(self, element, fragment_id: str) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
        elif kind == "button":
            self.buttons[element.button.label] = Button(element.button.id, fragment_id)
        elif kind == "imgs":
            for image in element.imgs.imgs:
                if image.url.startswith("/media/"):
                    self.media_paths.append(image.url)
                elif not is_png_address(image.url):
                    self.media_errors.append(f"not a PNG: {image.url[:60]}")
        elif kind == "alert" and element.alert.format == Alert.ERROR:
            self.error_boxes.append(element.alert.body[:300])

    def end(self, status: int | None, error: str | None = None) -> None:
        """Stop the clock: the run finished with `status`, or failed for the reason in `error`."""
        if self.finished:
            return
        self.seconds = time.perf_counter() - self.started
        self.status = status
        if error is not None:
            self.error = error
        elif status not in SUCCESS:
            self.error = f"the script ended with {ForwardMsg.ScriptFinishedStatus.Name(status)}"


class MessageCache:
    """The front end's cache of large messages: the server sends a `ref_hash` in place of a message the tab
    already holds, and forgets nothing the tab does not report; entries unused for a few runs are dropped."""

    def __init__(self):
        self.messages: dict[str, tuple[ForwardMsg, int]] = {}  # hash -> (message, the run it was last used in)
        self.runs = 0
        self.max_age = DEFAULT_MAX_CACHED_MESSAGE_AGE

    def resolve(self, message: ForwardMsg) -> ForwardMsg:
        """The message itself, or the cached one a reference points to (KeyError when the tab lacks it)."""
        if message.WhichOneof("type") == "ref_hash":
            cached, _ = self.messages[message.ref_hash]
            self.messages[message.ref_hash] = (cached, self.runs)
            resolved = ForwardMsg()
            resolved.CopyFrom(cached)
            resolved.metadata.CopyFrom(message.metadata)
            return resolved
        if message.metadata.cacheable and message.hash:
            self.messages[message.hash] = (message, self.runs)
        return message

    def hashes(self) -> list[str]:
        return list(self.messages)

    def note_finished_run(self) -> None:
        self.runs += 1
        self.messages = {key: (message, used) for key, (message, used) in self.messages.items()
                         if self.runs - used <= self.max_age}


class Tab:
    """One connected browser tab. Use `await Tab.open(url)`, then `run_page`, `go_to`, `press` one at a time
    (each waits for its run to end and returns its PageRun), and `close`."""

    def __init__(self, base_url: str, connection):
        self.base_url = base_url
        self.connection = connection
        self.query_string = ""
        self.pages: dict[str, str] = {}  # address path ("" for the default page) -> page_script_hash
        self.page_titles: dict[str, str] = {}  # address path -> title
        self.current_page_hash = ""
        self.auto_reruns: dict[str, float] = {}  # fragment id -> seconds between its reruns
        self.cache = MessageCache()
        self.last_run: PageRun | None = None
        self.unrequested_messages = 0  # messages that arrived while no run was awaited (e.g. a late heartbeat)
        self._run: PageRun | None = None
        self._run_done: asyncio.Event | None = None
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, base_url: str) -> Tab:
        """Connect to the server at `base_url` (http://127.0.0.1:PORT); no script runs until one is asked for."""
        stream_url = "ws" + base_url.removeprefix("http").rstrip("/") + STREAM_PATH
        try:
            connection = await websockets.connect(
                stream_url, subprotocols=SUBPROTOCOLS, open_timeout=CONNECT_TIMEOUT_SECONDS, proxy=None,
                # The browser never pings from script, and a page can be bigger than the library's 1 MiB default.
                ping_interval=None, max_size=None,
            )
        except websockets.InvalidHandshake as refused:
            raise ConnectionError(f"the server refused the websocket: {refused}") from refused
        if connection.subprotocol != SUBPROTOCOLS[0]:
            await connection.close()
            raise ConnectionError(f"the server chose subprotocol {connection.subprotocol!r}, not 'streamlit'")
        return cls(base_url, connection)

    async def run_page(self, address_path: str, query_string: str = "") -> PageRun:
        """The first run of a tab opened at BASE/address_path?query_string, as after typing the address."""
        self.query_string = query_string
        return await self._request_run(page_name=address_path)

    async def go_to(self, address_path: str) -> PageRun:
        """A click on a page's link in the navigation: that page's run, with the address's query emptied."""
        if address_path not in self.pages:
            raise ValueError(f"The app offers no page at /{address_path} (it offers {sorted(self.pages)}).")
        self.query_string = ""
        return await self._request_run(page_script_hash=self.pages[address_path])

    async def press(self, label: str) -> PageRun:
        """A click on the button with that label in the last run's page (its fragment alone when it has one)."""
        button = self.last_run.buttons.get(label) if self.last_run else None
        if button is None:
            run = PageRun()
            run.end(None, f"no button labelled {label!r} on the page")
            return run
        return await self._request_run(page_script_hash=self.current_page_hash, triggered_widget=button.widget_id,
                                       fragment_id=button.fragment_id)

    async def follow_auto_reruns(self) -> list[PageRun]:
        """One round of the reruns the server asked for with `run_every`: wait the shortest interval, then rerun
        each such fragment once. Returns their runs (none when no fragment asks to be rerun)."""
        if not self.auto_reruns:
            return []
        await asyncio.sleep(min(self.auto_reruns.values()))
        runs = []
        for fragment_id in list(self.auto_reruns):
            # A run of the whole app (an `st.rerun()` in the previous fragment) clears the timers, as in the front
            # end; a fragment it no longer draws is unknown to the server, which would never answer its rerun.
            if fragment_id in self.auto_reruns:
                runs.append(await self._request_run(page_script_hash=self.current_page_hash,
                                                    fragment_id=fragment_id, is_auto_rerun=True))
        return runs

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(TimeoutError, OSError, websockets.ConnectionClosed):  # the tab is gone either way
            await asyncio.wait_for(self.connection.close(), timeout=10)

    async def _request_run(self, **request) -> PageRun:
        run = PageRun()
        if self._reader.done():
            run.end(None, "the connection was lost")
            return run
        self._run, self._run_done = run, asyncio.Event()
        try:
            await self.connection.send(rerun_message(query_string=self.query_string,
                                                     cached_message_hashes=self.cache.hashes(), **request))
            await asyncio.wait_for(self._run_done.wait(), timeout=RUN_TIMEOUT_SECONDS)
        except TimeoutError:
            run.end(None, f"no script_finished within {RUN_TIMEOUT_SECONDS:.0f} s")
        except websockets.ConnectionClosed as closed:
            run.end(None, f"the connection closed: {closed}")
        finally:
            self._run = self._run_done = None
        if not request.get("fragment_id"):
            self.last_run = run
        elif self.last_run is not None:
            self.last_run.buttons.update(run.buttons)  # the fragment's buttons replace its own old ones
        return run

    async def _read(self) -> None:
        """Read every message the server sends, keep the tab's state, and hand each to the awaited run."""
        try:
            async for frame in self.connection:
                try:
                    message = self.cache.resolve(decode_forward_msg(frame))
                except (KeyError, ValueError) as problem:
                    if self._run is not None:
                        self._run.end(None, f"undecodable message: {problem!r}")
                        self._run_done.set()
                    continue
                self._note(message)
                if self._run is None:
                    self.unrequested_messages += 1
                    continue
                self._run.received_bytes += len(frame)
                if self._run.take(message):
                    self._run_done.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            if self._run is not None:
                self._run.end(None, "the connection closed during the run")
                self._run_done.set()

    def _note(self, message: ForwardMsg) -> None:
        """What the front end remembers from a message: pages, address, cache age, fragments to rerun."""
        kind = message.WhichOneof("type")
        if kind == "new_session":
            session = message.new_session
            if session.config.max_cached_message_age:
                self.cache.max_age = session.config.max_cached_message_age
            if not message.metadata.run.fragment_ids:
                self.auto_reruns.clear()  # a full run forgets the previous run's timers, as the front end does
        elif kind == "navigation":
            for page in message.navigation.app_pages:
                self.pages[page.url_pathname] = page.page_script_hash
                self.page_titles[page.url_pathname] = page.page_name
            self.current_page_hash = message.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = message.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.auto_reruns[message.auto_rerun.fragment_id] = message.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fragment_id in message.stop_auto_rerun.fragment_ids:
                self.auto_reruns.pop(fragment_id, None)
        elif kind == "script_finished":
            self.cache.note_finished_run()


def is_png_address(url: str) -> bool:
    """Whether `url` is a "data:image/png;base64,…" address holding a PNG file."""
    prefix = "data:image/png;base64,"
    try:
        return url.startswith(prefix) and base64.b64decode(url[len(prefix):], validate=True).startswith(PNG_SIGNATURE)
    except binascii.Error:
        return False


async def fetch_media(base_url: str, paths: list[str]) -> list[str]:
    """GET each picture of a run from the server, as the page's images would; returns one sentence per failure."""
    address = urlsplit(base_url)

    async def fetch(path: str) -> str | None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(address.hostname, address.port), timeout=MEDIA_TIMEOUT_SECONDS)
            try:
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {address.netloc}\r\nConnection: close\r\n\r\n".encode())
                response = await asyncio.wait_for(reader.read(), timeout=MEDIA_TIMEOUT_SECONDS)
            finally:
                writer.close()
        except (OSError, TimeoutError) as error:
            return f"{path}: {type(error).__name__} {error}"
        status_line = response.split(b"\r\n", 1)[0].decode(errors="replace")
        return None if status_line.split(" ")[1:2] == ["200"] else f"{path}: {status_line}"

    failures = await asyncio.gather(*(fetch(path) for path in dict.fromkeys(paths)))
    return [failure for failure in failures if failure]
