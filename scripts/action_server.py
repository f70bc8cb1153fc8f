"""Run the Rasa SDK action server bound to localhost only, without open CORS.

`rasa run actions` listens on every interface with CORS "*"; the actions see what
idea makers write, so they stay on 127.0.0.1 unless ACTION_SERVER_HOST says otherwise
(for example inside a private container network).

Before it listens, the e-mail settings are checked (finsam.mailer.settings_from_env): a
setting that cannot work stops the server with a clear message and exit code 2, instead
of failing after an idea maker's draft was written. With e-mail configured, the outbox
(finsam/outbox.py) is delivered at start and then every OUTBOX_RETRY_SECONDS (60).
"""
import asyncio
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from finsam import mailer  # noqa: E402
from finsam.outbox import Outbox, retry_seconds  # noqa: E402

logger = logging.getLogger("action_server")
# Sanic closes a connection on which no byte arrived within KEEP_ALIVE_TIMEOUT (default 5 s),
# also a brand-new one. Under load Rasa's busy event loop can take longer than that between
# connecting and writing the request, which then failed with "Cannot write to closing transport"
# and the idea maker got the apology (found by `make load`). Rasa's own server uses 120 s.
DEFAULT_KEEP_ALIVE_SECONDS = 120.0


def keep_alive_seconds(env=os.environ) -> float:
    """SANIC_KEEP_ALIVE_TIMEOUT when it is a positive number, else 120 s."""
    try:
        value = float(env.get("SANIC_KEEP_ALIVE_TIMEOUT", ""))
    except ValueError:
        return DEFAULT_KEEP_ALIVE_SECONDS
    return value if value > 0 else DEFAULT_KEEP_ALIVE_SECONDS


def check_settings(env=os.environ):
    """(SMTP settings or None, retry interval); exits with a readable message when they cannot work."""
    try:
        port = env.get("ACTION_SERVER_PORT", "5055")
        if not port.isdigit():
            raise ValueError(f"ACTION_SERVER_PORT ska vara ett portnummer, inte {port[:20]!r}")
        return mailer.settings_from_env(env), retry_seconds(env)
    except ValueError as error:
        sys.stderr.write(f"Action-servern startar inte: {error}.\n"
                         f"The action server does not start: invalid setting ({error}).\n")
        sys.exit(2)


async def deliver_outbox(settings: mailer.SmtpSettings, interval: float) -> None:
    """Deliver waiting drafts now and then every `interval` seconds, for as long as the server runs."""
    outbox = Outbox()
    while True:
        try:
            await asyncio.to_thread(outbox.deliver_pending, mailer.sender_for(settings))
        except Exception:  # an unreadable drafts folder must not stop the retries
            logger.exception("Outbox delivery failed; retrying in %s s", interval)
        await asyncio.sleep(interval)


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    settings, interval = check_settings()
    host = os.environ.get("ACTION_SERVER_HOST", "127.0.0.1")
    port = int(os.environ.get("ACTION_SERVER_PORT", "5055"))

    from rasa_sdk.endpoint import create_app

    app = create_app("actions", cors_origins=None)
    app.config.KEEP_ALIVE_TIMEOUT = keep_alive_seconds()

    @app.listener("after_server_start")
    async def warm_up(app, loop):
        # The form's vocabularies take a couple of seconds to read; not on the first idea maker's turn.
        from finsam.steering import words

        loop.run_in_executor(None, words)
    if settings is not None:
        @app.listener("after_server_start")
        async def start_outbox(app, loop):
            app.add_task(deliver_outbox(settings, interval))

    app.run(host=host, port=port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
