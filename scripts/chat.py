"""Chat with the running bot in the terminal, through the same REST channel as the web.

Type a message and press Enter. A number picks one of the shown buttons.
/ny starts a new conversation, /sluta (or Ctrl-D) quits.
"""
from __future__ import annotations

import json
import os
import secrets
import sys
import urllib.error
import urllib.request

URL = os.environ.get("BOT_URL", f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}/webhooks/rest/webhook")


def send(sender: str, text: str) -> list:
    headers = {"Content-Type": "application/json"}
    if os.environ.get("REST_CHANNEL_TOKEN"):  # required when Rasa listens beyond loopback
        headers["Authorization"] = f"Bearer {os.environ['REST_CHANNEL_TOKEN']}"
    request = urllib.request.Request(URL, data=json.dumps({"sender": sender, "message": text}).encode(),
                                     headers=headers)
    with urllib.request.urlopen(request, timeout=120) as reply:
        return json.loads(reply.read().decode("utf-8"))


def main() -> None:
    sender = "terminal-" + secrets.token_hex(12)
    buttons: list = []
    print(__doc__)
    while True:
        try:
            text = input("Du: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text in {"/sluta", "/exit"}:
            return
        if text == "/ny":
            sender, buttons = "terminal-" + secrets.token_hex(12), []
            print("(Nytt samtal)")
            continue
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        try:
            messages = send(sender, text)
        except (urllib.error.URLError, OSError) as error:
            print(f"Kunde inte nå boten på {URL}: {error}. Kör den (make serve)?", file=sys.stderr)
            continue
        buttons = []
        for message in messages:
            if message.get("text"):
                print(f"Bot: {message['text']}\n")
            for button in message.get("buttons") or []:
                buttons.append(button)
                print(f"  [{len(buttons)}] {button['title']}")
        if buttons:
            print()


if __name__ == "__main__":
    main()
