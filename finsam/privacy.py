"""The privacy notice (GDPR art. 13), per channel, from knowledge/privacy.yml.

Pure module (no rasa_sdk). Values the förbund has not confirmed yet (`bekräftad: false`)
are never shown as facts: the notice says they are not filled in and points to the kansli.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from finsam.knowledge import DEFAULT_KNOWLEDGE_DIR, normalise_space

logger = logging.getLogger(__name__)

PRIVACY_FILE = "privacy.yml"
DEFAULT_RETENTION_DAYS = 90
CONFIRMABLE = ("integritetssida", "dataskyddsombud", "rattslig_grund")
TEXTS = ("andamal", "mottagare", "lagring", "rattigheter", "kort", "ej_ifyllt")


class PrivacyError(ValueError):
    """knowledge/privacy.yml is missing a field."""


def retention_days(env: Optional[Dict[str, str]] = None) -> int:
    """The retention period `make purge` uses (RETENTION_DAYS), so the notice says the same."""
    value = (env if env is not None else os.environ).get("RETENTION_DAYS") or DEFAULT_RETENTION_DAYS
    return int(float(value))


def validate(spec: dict) -> List[str]:
    """What is wrong with the file (Swedish), empty when it is usable."""
    problems = []
    if not isinstance(spec, dict):
        return ["filen ska vara en samling nycklar"]
    for key in TEXTS:
        if not isinstance(spec.get(key), str) or not spec[key].strip():
            problems.append(f"fältet {key!r} saknas eller är tomt")
    controller = spec.get("personuppgiftsansvarig") or {}
    for key in ("namn", "adress"):
        entry = controller.get(key) if isinstance(controller, dict) else None
        if not isinstance(entry, dict) or not entry.get("varde"):
            problems.append(f"personuppgiftsansvarig.{key}.varde saknas")
    for key in CONFIRMABLE:
        if not isinstance(spec.get(key), dict) or "bekräftad" not in spec[key]:
            problems.append(f"{key} ska ha 'varde' och 'bekräftad'")
        elif spec[key].get("bekräftad") and not spec[key].get("varde"):
            problems.append(f"{key} är markerad som bekräftad men har inget värde")
    if not isinstance(spec.get("kanaler", {}), dict):
        problems.append("'kanaler' ska vara en samling kanal: text")
    return problems


def placeholders(spec: dict) -> List[str]:
    """The values the förbund still has to fill in and confirm."""
    return [key for key in CONFIRMABLE if not (spec.get(key) or {}).get("bekräftad")]


def load_privacy(directory: Optional[Path] = None) -> dict:
    path = Path(directory or os.environ.get("KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR) / PRIVACY_FILE
    with open(path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle) or {}
    problems = validate(spec)
    if problems:
        raise PrivacyError(f"{path}: " + "; ".join(problems))
    return spec


_lock = threading.Lock()
_cache: Dict[Path, Tuple[int, dict]] = {}


def get_privacy(directory: Optional[Path] = None) -> dict:
    """The notice's data, re-read when the file changes; the last good version on an error."""
    directory = Path(directory or os.environ.get("KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR)
    stamp = os.stat(directory / PRIVACY_FILE).st_mtime_ns
    with _lock:
        cached = _cache.get(directory)
        if cached and cached[0] == stamp:
            return cached[1]
        try:
            spec = load_privacy(directory)
        except (OSError, yaml.YAMLError, PrivacyError):
            if cached is None:
                raise
            logger.exception("knowledge/%s är trasig; visar den senast fungerande versionen", PRIVACY_FILE)
            return cached[1]
        _cache[directory] = (stamp, spec)
        return spec


def _confirmed(spec: dict, key: str) -> str:
    entry = spec.get(key) or {}
    return str(entry["varde"]) if entry.get("bekräftad") and entry.get("varde") else spec["ej_ifyllt"]


def idle_text(env: Optional[Dict[str, str]] = None) -> str:
    """WEB_SESSION_IDLE_MINUTES (default 120) as the notice says it: "två timmar", "45 minuter"."""
    raw = ((env if env is not None else os.environ).get("WEB_SESSION_IDLE_MINUTES") or "").strip()
    try:
        minutes = int(raw) if raw else 120
    except ValueError:
        minutes = 120
    minutes = minutes if minutes > 0 else 120  # as channels/web.py reads it
    words = {1: "en", 2: "två", 3: "tre", 4: "fyra", 6: "sex", 8: "åtta", 12: "tolv", 24: "tjugofyra"}
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{'en timme' if hours == 1 else words.get(hours, str(hours)) + ' timmar'}"
    return f"{minutes} minuter"


def fill_settings(text: str) -> str:
    """{dagar}, {timmar} and {koddagar} as this installation is set (RETENTION_DAYS,
    WEB_SESSION_IDLE_MINUTES, WEB_RESUME_DAYS), so no notice states a period it does not keep."""
    if "{dagar}" in text:
        text = text.replace("{dagar}", str(retention_days()))
    if "{timmar}" in text:
        text = text.replace("{timmar}", idle_text())
    if "{koddagar}" in text:
        from finsam.resume_codes import days_from_env

        text = text.replace("{koddagar}", str(days_from_env()))
    return text


def _channel_text(spec: dict, channel: Optional[str]) -> str:
    """The channel's own paragraph, with the channel's settings filled in."""
    return fill_settings(normalise_space((spec.get("kanaler") or {}).get(channel or "") or ""))


def short_notice(spec: dict, channel: Optional[str], days: Optional[int] = None) -> str:
    """Shown before the idea sketch's first question."""
    days = retention_days() if days is None else days
    parts = [normalise_space(spec["kort"]).replace("{dagar}", str(days)), _channel_text(spec, channel)]
    return " ".join(p for p in parts if p)


def full_notice(spec: dict, channel: Optional[str], days: Optional[int] = None) -> str:
    """The whole art. 13 notice for this channel."""
    days = retention_days() if days is None else days
    controller = spec["personuppgiftsansvarig"]
    who = f"{controller['namn']['varde']}, {controller['adress']['varde']}"
    if (controller.get("webbplats") or {}).get("varde"):
        who += f" ({controller['webbplats']['varde']})"
    sections = [
        "Så hanterar förbundet dina uppgifter",
        f"Personuppgiftsansvarig: {who}.",
        f"Ändamål: {normalise_space(spec['andamal'])}",
        f"Rättslig grund: {_confirmed(spec, 'rattslig_grund')}.",
        f"Mottagare: {normalise_space(spec['mottagare'])}",
        f"Lagring: {normalise_space(spec['lagring']).replace('{dagar}', str(days))}",
        _channel_text(spec, channel),
        f"Dina rättigheter: {normalise_space(spec['rattigheter'])}",
        f"Dataskyddsombud: {_confirmed(spec, 'dataskyddsombud')}.",
        f"Mer om hur förbundet behandlar personuppgifter: {_confirmed(spec, 'integritetssida')}.",
    ]
    return "\n\n".join(s for s in sections if s)
