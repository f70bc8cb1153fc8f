"""Rasa-side extensions that Rasa itself loads (by module path from bot/endpoints*.yml)."""
