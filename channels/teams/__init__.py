"""Microsoft Teams channel for Rasa 3.6, closing the gaps of Rasa's own `botframework` channel.

Referenced from bot/credentials.yml as `channels.teams.TeamsInput:` (no keys: secrets stay in
the environment). URL: POST /webhooks/teams/webhook. The package, by concern:

- settings.py   – TeamsSettings from the environment (MICROSOFT_APP_ID …).
- auth.py       – the Bot Framework JWT: RS256 only, key by `kid` from Microsoft's JWKS, issuer,
                  audience = our app id, exp/nbf; then bound to the activity: channelId must be
                  "msteams", the signing key's endorsements must include it (keys without
                  endorsements are refused, as the Bot Framework SDK does), the `serviceurl`
                  claim must equal the activity's serviceUrl, and (optionally) an allowed tenant.
                  The tenant is read from the activity, which the token does not sign: it only
                  counts because the channelId check stops Web Chat/Direct Line clients of the
                  same Azure Bot from claiming one. Anything else gets 401 and reaches nothing.
- connector.py  – keys and the bot's own token fetched lazily with aiohttp and time-outs
                  (single-tenant token endpoint), cached; reply addressing.
- activities.py – @mentions stripped, sender ids, retries recognised, welcome events, scope.
- formatting.py – replies escaped for Teams (HTML and Markdown, so echoed user text is never
                  a link or formatting), split at paragraphs, buttons as card actions.
- feedback.py   – 👍/👎 buttons under the answers and the clicks, recorded with finsam/feedback.py
                  (only answers this conversation got; never passed to Rasa).
- channel.py    – TeamsInput: the webhook. Personnummer are redacted before Rasa sees the text
                  (as in channels/rest.py). In a team channel or group chat the idea sketch does
                  not run: the bot asks the user to continue in a personal chat, so no name or
                  e-mail is ever posted where the whole team reads.

Welcome: the bot posts the domain's `utter_greet` (text and buttons) taken from the loaded
model, without sending anything to Rasa. Messages are processed inline: Teams waits up to 15 s
for the 200 and Rasa answers in a few; a retry is recognised by its activity id.
Without MICROSOFT_APP_ID (or MICROSOFT_APP_PASSWORD) the webhook answers 503 and does nothing.
"""
from channels.teams.activities import (
    MAX_BODY_BYTES,
    RecentKeys,
    incoming_text,
    is_personal,
    is_welcome_event,
    parse_activity,
    sender_id_for,
    strip_mentions,
    tenant_of,
)
from channels.teams.auth import (
    CLOCK_SKEW_SECONDS,
    AuthError,
    KeysUnavailable,
    SigningKeys,
    bearer_token,
    check_activity,
    safe_service_url,
    signing_key_id,
    verify_token,
)
from channels.teams.channel import ERROR_REPLY, PERSONAL_CHAT_ONLY, TeamsInput
from channels.teams.connector import (
    AccessTokens,
    ConnectorError,
    fetch_access_token,
    fetch_signing_keys,
    reply_envelope,
    reply_url,
)
from channels.teams.formatting import (
    FALLBACK_WELCOME,
    HERO_CARD,
    MAX_CARD_BUTTONS,
    MAX_REPLY_CHARS,
    card_action,
    escape_markdown,
    hero_cards,
    message_parts,
    split_text,
    teams_markup,
    welcome_message,
)
from channels.teams.settings import TeamsSettings

__all__ = [
    "AccessTokens", "AuthError", "CLOCK_SKEW_SECONDS", "ConnectorError", "ERROR_REPLY", "FALLBACK_WELCOME",
    "HERO_CARD", "KeysUnavailable", "MAX_BODY_BYTES", "MAX_CARD_BUTTONS", "MAX_REPLY_CHARS", "PERSONAL_CHAT_ONLY",
    "RecentKeys", "SigningKeys", "TeamsInput", "TeamsSettings", "bearer_token", "card_action", "check_activity",
    "escape_markdown", "fetch_access_token", "fetch_signing_keys", "hero_cards", "incoming_text", "is_personal",
    "is_welcome_event", "message_parts", "parse_activity", "reply_envelope", "reply_url", "safe_service_url",
    "sender_id_for", "signing_key_id", "split_text", "strip_mentions", "teams_markup", "tenant_of",
    "verify_token", "welcome_message",
]
