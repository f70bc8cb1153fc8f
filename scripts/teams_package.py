"""Build the Microsoft Teams app package: build/teams/finsam-teams.zip.

    MICROSOFT_APP_ID=<azure-bot-app-id> python scripts/teams_package.py [--out-dir DIR]

The zip holds manifest.json (Teams manifest schema 1.17) and the two icons, drawn here with
Pillow so the repository carries no image files. Upload it in Teams (Appar > Hantera dina appar >
Ladda upp en app) or through the Teams admin center.

Environment:
    MICROSOFT_APP_ID      the Azure Bot's app id (required; it becomes bots[0].botId)
    TEAMS_APP_ID          the Teams app's own GUID (default: derived from the bot id, stable)
    TEAMS_APP_VERSION     the app version, raise it for every new upload (default 1.0.0)
    TEAMS_PRIVACY_URL     privacy page (default: the förbund's website)
    TEAMS_TERMS_URL       terms-of-use page (default: the förbund's website)
    TEAMS_VALID_DOMAINS   extra domains, comma separated (e.g. the bot's public host)
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import uuid
import zipfile
from collections.abc import Mapping
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT_DIR = ROOT / "build" / "teams"
ZIP_NAME = "finsam-teams.zip"

SCHEMA = "https://developer.microsoft.com/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
MANIFEST_VERSION = "1.17"
WEBSITE = "https://www.finsam-blekinge.se"
ACCENT = "#1F5C99"
# Namespace for the derived Teams app id: same bot id, same app id, so re-uploads update the app.
APP_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://www.finsam-blekinge.se/teams-app")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_VERSION = re.compile(r"^\d{1,5}\.\d{1,5}\.\d{1,5}$")
_FIXED_TIME = (2024, 1, 1, 0, 0, 0)  # fixed zip timestamps: same input, same bytes

SHORT_NAME = "Finsam Blekinge"
FULL_NAME = "Samordningsförbundet i Blekinge – frågor om medel och idéskiss"
SHORT_DESCRIPTION = "Svar om samverkansmedel och hjälp att skriva en idéskiss till kansliet."
FULL_DESCRIPTION = (
    "Samordningsförbundet i Blekinges digitala assistent (en bot, ingen människa). Den svarar på "
    "frågor om att söka samverkansmedel – vem som kan söka, vilka kriterier som gäller, hur ansökan "
    "går till, datum och finansiering – utifrån förbundets egna dokument, och anger källan. Den kan "
    "också gå igenom idéskissens frågor med dig och skriva ett utkast som förbundets kansli granskar. "
    "Skriv inte personuppgifter om enskilda personer; personnummer tas bort automatiskt. Samtal och "
    "utkast gallras efter 90 dagar."
)
COMMANDS = [
    ("jag har en idé", "Börja skriva en idéskiss till förbundets kansli"),
    ("Vem kan söka medel?", "Vilka som kan ansöka om samverkansmedel"),
    ("Vilka kriterier gäller?", "Förbundets kriterier för insatser"),
    ("Hur ansöker man?", "Hur ansökan går till, steg för steg"),
    ("Hur når jag kansliet?", "Kontaktuppgifter till förbundets kansli"),
]


class PackageError(Exception):
    """A setting is missing or wrong; the message is Swedish and says what to do."""


def app_guid(env: Mapping[str, str], bot_id: str) -> str:
    explicit = (env.get("TEAMS_APP_ID") or "").strip()
    if explicit:
        if not _GUID.match(explicit):
            raise PackageError(f"TEAMS_APP_ID måste vara ett GUID, inte {explicit!r}.")
        return explicit.lower()
    return str(uuid.uuid5(APP_ID_NAMESPACE, bot_id.lower()))


def _domain_list(env: Mapping[str, str]) -> list[str]:
    domains = ["www.finsam-blekinge.se"]
    for item in (env.get("TEAMS_VALID_DOMAINS") or "").split(","):
        domain = item.strip().lower()
        domain = re.sub(r"^https?://", "", domain).split("/")[0]
        if domain and domain not in domains:
            domains.append(domain)
    return domains


def _https(env: Mapping[str, str], name: str, default: str) -> str:
    url = (env.get(name) or "").strip() or default
    if not url.startswith("https://"):
        raise PackageError(f"{name} måste vara en https-adress, inte {url!r}.")
    return url


def build_manifest(env: Mapping[str, str]) -> dict:
    bot_id = (env.get("MICROSOFT_APP_ID") or "").strip()
    if not bot_id:
        raise PackageError("MICROSOFT_APP_ID saknas. Sätt den till Azure-botens app-id (ett GUID) "
                           "och kör skriptet igen, t.ex. MICROSOFT_APP_ID=… make teams-package.")
    if not _GUID.match(bot_id):
        raise PackageError(f"MICROSOFT_APP_ID ska vara Azure-botens app-id (ett GUID), inte {bot_id!r}.")
    version = (env.get("TEAMS_APP_VERSION") or "1.0.0").strip()
    if not _VERSION.match(version):
        raise PackageError(f"TEAMS_APP_VERSION ska se ut som 1.0.0, inte {version!r}.")
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_guid(env, bot_id),
        "localizationInfo": {"defaultLanguageTag": "sv-SE"},
        "developer": {
            "name": "Samordningsförbundet i Blekinge",
            "websiteUrl": WEBSITE,
            "privacyUrl": _https(env, "TEAMS_PRIVACY_URL", WEBSITE),
            "termsOfUseUrl": _https(env, "TEAMS_TERMS_URL", WEBSITE),
        },
        "name": {"short": SHORT_NAME, "full": FULL_NAME},
        "description": {"short": SHORT_DESCRIPTION, "full": FULL_DESCRIPTION},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [{
            "botId": bot_id.lower(),
            "scopes": ["personal", "team"],
            "supportsFiles": False,
            "isNotificationOnly": False,
            "commandLists": [{"scopes": ["personal", "team"],
                              "commands": [{"title": t, "description": d} for t, d in COMMANDS]}],
        }],
        "validDomains": _domain_list(env),
    }


def _speech_bubble_mask(size: int, outline_only: bool) -> Image.Image:
    """A speech bubble with three dots as an alpha mask, drawn 8x larger and scaled down smoothly."""
    scale = 8
    big = size * scale
    bubble = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(bubble)
    left, top, right, bottom = big * 0.12, big * 0.16, big * 0.88, big * 0.70
    draw.rounded_rectangle((left, top, right, bottom), radius=big * 0.14, fill=255)
    draw.polygon([(big * 0.26, bottom - 1), (big * 0.22, big * 0.88), (big * 0.46, bottom - 1)], fill=255)
    if outline_only:
        # The outline is the bubble minus the bubble shrunk by the stroke width.
        stroke = int(big * 0.13) // 2 * 2 + 1
        bubble = ImageChops.subtract(bubble, bubble.filter(ImageFilter.MinFilter(stroke)))
        draw = ImageDraw.Draw(bubble)
    dot = big * 0.065
    for x in (0.33, 0.50, 0.67):
        cx, cy = big * x, (top + bottom) / 2
        draw.ellipse((cx - dot, cy - dot, cx + dot, cy + dot), fill=255 if outline_only else 0)
    return bubble.resize((size, size), Image.LANCZOS)


def color_icon() -> Image.Image:
    """192×192: a white speech bubble on the accent colour (Teams crops it to a rounded square)."""
    accent = tuple(int(ACCENT[i:i + 2], 16) for i in (1, 3, 5))
    icon = Image.new("RGBA", (192, 192), accent + (255,))
    white = Image.new("RGBA", (192, 192), (255, 255, 255, 255))
    icon.paste(white, (0, 0), _speech_bubble_mask(192, outline_only=False))
    return icon


def outline_icon() -> Image.Image:
    """32×32: white on transparent only, as Teams requires for the outline icon."""
    icon = Image.new("RGBA", (32, 32), (255, 255, 255, 0))
    icon.putalpha(_speech_bubble_mask(32, outline_only=True))
    return icon


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def build_package(env: Mapping[str, str], out_dir: Path) -> tuple[Path, dict]:
    manifest = build_manifest(env)
    files = {
        "manifest.json": json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"),
        "color.png": _png(color_icon()),
        "outline.png": _png(outline_icon()),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / ZIP_NAME
    partial = target.with_suffix(".zip.part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():  # at the zip's root, as Teams requires
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16  # readable when unpacked
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    partial.replace(target)
    return target, manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Bygger Teams-appaketet för Finsam-boten.")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="mapp för zip-filen")
    args = parser.parse_args(argv)
    try:
        target, manifest = build_package(os.environ, args.out_dir)
    except PackageError as error:
        print(f"Fel: {error}", file=sys.stderr)
        return 2
    shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
    print(f"Skrev {shown}:")
    print(f"  manifest.json  schema {manifest['manifestVersion']}, app-id {manifest['id']}, "
          f"version {manifest['version']}, bot-id {manifest['bots'][0]['botId']}")
    print("  color.png      192×192")
    print("  outline.png    32×32 (vit på transparent)")
    print("Ladda upp zip-filen i Teams: Appar > Hantera dina appar > Ladda upp en app.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
