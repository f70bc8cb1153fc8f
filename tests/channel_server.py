"""Our channels on a real Sanic server in this process, in the app Rasa builds (configure_app),
with a fake agent: for HTTP-level tests that need no trained model and start in a second."""
from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional

from live import free_port


class FakeAgent:
    """What the channels read from `app.ctx.agent`: an in-memory tracker store and lock store."""

    def __init__(self) -> None:
        from conftest import ROOT
        from rasa.core.lock_store import InMemoryLockStore
        from rasa.core.tracker_store import InMemoryTrackerStore
        from rasa.shared.core.domain import Domain

        self.domain = Domain.load(str(ROOT / "bot" / "domain.yml"))
        self.tracker_store = InMemoryTrackerStore(self.domain)
        self.lock_store = InMemoryLockStore()


class ChannelServer:
    """Starts `configure_app(input_channels=channels)` on a free port in a background thread."""

    def __init__(self, channels: List[Any], host: str = "127.0.0.1") -> None:
        self.channels = channels
        self.host = host
        self.port = free_port()
        self.received: List[Any] = []  # every UserMessage the channels handed to "Rasa"
        self.replies: List[Dict[str, Any]] = [{"text": "Svar från den falska boten."}]
        self.agent = FakeAgent()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server = None
        self._error: Optional[BaseException] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _on_new_message(self, message) -> None:
        """Answers with `self.replies` and stores the turn, as Rasa's processor would."""
        from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

        self.received.append(message)
        store = self.agent.tracker_store
        tracker = await store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, input_channel=message.input_channel))
        for reply in self.replies:
            await message.output_channel.send_response(message.sender_id, dict(reply))
            custom = reply.get("custom") or {}
            if custom.get("draft_reference"):
                tracker.update(SlotSet("draft_reference", custom["draft_reference"]))
            tracker.update(BotUttered(reply.get("text"), data={"buttons": reply.get("buttons"), "custom": custom}))
        await store.save(tracker)

    def _run(self) -> None:
        import rasa.core.run
        from sanic import Sanic

        Sanic.test_mode = True  # Rasa names every app alike; several servers in one process
        asyncio.set_event_loop(self._loop)
        try:
            app = rasa.core.run.configure_app(input_channels=None, enable_api=False, port=self.port,
                                              use_uvloop=False)
            for item in self.channels:
                app.blueprint(item.blueprint(self._on_new_message), url_prefix=f"/webhooks/{item.url_prefix()}")
            app.ctx.agent = self.agent
            self._server = self._loop.run_until_complete(
                app.create_server(host=self.host, port=self.port, return_asyncio_server=True))
            self._loop.run_until_complete(self._server.startup())
            self._loop.run_until_complete(self._server.before_start())
            self._loop.run_until_complete(self._server.after_start())
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> ChannelServer:
        self._thread.start()
        self._ready.wait(60)
        if self._error:
            raise self._error
        return self

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()

        if self._server is not None:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def call(self, method: str, path: str, payload: Any = None, headers: Optional[Dict[str, str]] = None):
        """(status, headers, parsed JSON or raw bytes)."""
        data = None
        if payload is not None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                status, reply_headers, body = reply.status, reply.headers, reply.read()
        except urllib.error.HTTPError as error:
            status, reply_headers, body = error.code, error.headers, error.read()
        if "json" in (reply_headers.get("Content-Type") or "") and body:
            body = json.loads(body.decode("utf-8"))
        return status, reply_headers, body
