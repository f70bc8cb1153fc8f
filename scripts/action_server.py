"""Run the Rasa SDK action server bound to localhost only, without open CORS.

`rasa run actions` listens on every interface with CORS "*"; the actions see what
idea makers write, so they stay on 127.0.0.1 unless ACTION_SERVER_HOST says otherwise
(for example inside a private container network).
"""
import logging
import os

from rasa_sdk.endpoint import create_app


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    host = os.environ.get("ACTION_SERVER_HOST", "127.0.0.1")
    port = int(os.environ.get("ACTION_SERVER_PORT", "5055"))
    app = create_app("actions", cors_origins=None)
    app.run(host=host, port=port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
