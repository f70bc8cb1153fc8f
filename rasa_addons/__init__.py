"""Rasa-side extensions that Rasa itself loads (by module path from bot/endpoints*.yml).

Importing the package (Rasa does, for the tracker store) also makes Rasa validate the action
server's replies with a validator built once (rasa_addons/action_validation.py).
"""
from rasa_addons import action_validation as _action_validation

_action_validation.install()
