"""The Teams webhook itself: authenticate, deduplicate, hand the text to Rasa, post the answers."""
from __future__ import annotations

import asyncio
import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.failures import watching_turn
from channels.rest import prepare_text
from channels.teams import feedback as teams_feedback
from channels.teams.activities import (
    RECENT_ACTIVITIES,
    WELCOME_WINDOW_SECONDS,
    RecentKeys,
    incoming_text,
    is_personal,
    is_welcome_event,
    parse_activity,
    sender_id_for,
)
from channels.teams.auth import (
    AuthError,
    KeysUnavailable,
    SigningKeys,
    bearer_token,
    check_activity,
    signing_key_id,
    verify_token,
)
from channels.teams.connector import (
    AccessTokens,
    ConnectorError,
    _retry_delay,
    fetch_access_token,
    fetch_signing_keys,
    reply_envelope,
    reply_url,
)
from channels.teams.formatting import _WholeTextCollector, message_parts, welcome_message
from channels.teams.settings import TeamsSettings
from finsam.knowledge import get_knowledge

logger = logging.getLogger(__name__)

ERROR_REPLY = "Något gick fel hos mig. Försök igen om en stund. "
PERSONAL_CHAT_ONLY = (
    "Idéskissen skriver vi i en personlig chatt, så att ditt namn och din e-post inte syns för alla här. "
    "Öppna en chatt med mig (klicka på mitt namn och välj Chatt) och skriv \"jag har en idé\" där. "
    "Frågor om att söka medel svarar jag gärna på här också."
)
# What starts the idea sketch (bot/domain.yml): its intent, and the button payloads of the form.
SKETCH_INTENTS = {"start_sketch"}
SKETCH_PAYLOADS = ("/start_sketch", "/confirm_submit", "/edit_answer", "/sketch_")


class TeamsInput(InputChannel):
    """Microsoft Teams webhook: authenticated, deduplicated, answering through the Bot Connector."""

    @classmethod
    def name(cls) -> str:
        return "teams"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if credentials:
            logger.warning("channels.teams.TeamsInput ignores keys in credentials.yml; "
                           "set MICROSOFT_APP_ID etc. in the environment")
        return cls()

    def __init__(self, settings: TeamsSettings | None = None) -> None:
        self.settings = settings or TeamsSettings.from_env()
        self._session: aiohttp.ClientSession | None = None
        # Nothing is fetched here, so the bot starts without network access.
        self.keys = SigningKeys(lambda: fetch_signing_keys(self._http(), self.settings))
        self.tokens = AccessTokens(lambda: fetch_access_token(self._http(), self.settings))
        self.recent_activities = RecentKeys(RECENT_ACTIVITIES)
        self.welcomed = RecentKeys(RECENT_ACTIVITIES, ttl=WELCOME_WINDOW_SECONDS)
        if self.settings.problem():
            logger.info("%s The webhook answers 503.", self.settings.problem())

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.settings.http_timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("teams_webhook", __name__)

        @webhook.listener("after_server_stop")
        async def close_http(app: Any, loop: Any) -> None:
            await self.close()

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if not self.settings.problem() else "not configured"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            status, body = await self.process(request.headers.get("Authorization"), request.body,
                                              on_new_message, agent)
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return response.json(body, status=status, headers=headers)

        return webhook

    async def process(self, authorization: str | None, body: bytes,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      agent: Any = None) -> tuple[int, dict]:
        """One webhook call, independent of Sanic: returns (HTTP status, JSON body)."""
        problem = self.settings.problem()
        if problem:
            return 503, {"error": problem}
        try:
            claims, jwk = await self._verify(authorization)
        except KeysUnavailable as error:
            logger.error("Teams request not checked: %s", error)
            return 503, {"error": "Kan inte kontrollera begäran just nu; försök igen."}
        except AuthError as error:
            logger.warning("Teams request refused: %s", error)
            return 401, {"error": f"Obehörig: {error}"}
        activity = parse_activity(body)
        if activity is None:
            return 400, {"error": "Begäran är ingen giltig Bot Framework-aktivitet."}
        try:
            check_activity(claims, activity, jwk, self.settings)
        except AuthError as error:
            logger.warning("Teams activity refused: %s", error)
            return 401, {"error": f"Obehörig: {error}"}
        await self._dispatch(activity, on_new_message, agent)
        return 200, {}

    async def _verify(self, authorization: str | None) -> tuple[dict[str, Any], dict]:
        token = bearer_token(authorization)
        kid = signing_key_id(token)
        jwk = await self.keys.get(kid)
        if jwk is None:
            raise AuthError("Okänd signeringsnyckel.")
        return verify_token(token, jwk, self.settings), jwk

    async def _dispatch(self, activity: dict, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                        agent: Any) -> None:
        # Everything but messages and the bot's own arrival (typing, reactions, edits, invokes,
        # other members joining) is acknowledged and ignored.
        if activity.get("type") == "message":
            if not self._first_time(activity):
                return
            value = teams_feedback.rating_of(activity)
            if value is not None:  # a 👍/👎 click: recorded here, never passed to Rasa
                thanks = await teams_feedback.rate(agent, sender_id_for(activity), value, self.name())
                await self._reply(activity, [{"text": thanks}])
            else:
                await self._answer(activity, on_new_message, agent)
        elif is_welcome_event(activity, self.settings.app_id) and self._first_time(activity) \
                and self.welcomed.add(activity["conversation"]["id"]):
            # Installing in a personal chat sends both conversationUpdate and installationUpdate.
            await self._reply(activity, [welcome_message(agent)])

    def _first_time(self, activity: Mapping[str, Any]) -> bool:
        """False for a retry of an activity already handled (Teams retries when we are slow)."""
        activity_id = activity.get("id")
        if not isinstance(activity_id, str) or not activity_id:
            return True
        return self.recent_activities.add((activity["conversation"]["id"], activity_id))

    async def _answer(self, activity: dict, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      agent: Any = None) -> None:
        # The same checks as REST and the web chat: one length limit, personnummer removed.
        text, refusal = prepare_text(incoming_text(activity))
        if refusal:
            messages = [{"text": refusal}]
        elif not is_personal(activity) and await self._would_run_sketch(text, sender_id_for(activity), agent):
            messages = [{"text": PERSONAL_CHAT_ONLY}]
        else:
            messages = await self._ask_rasa(text, sender_id_for(activity), on_new_message)
            messages = await teams_feedback.mark(agent, sender_id_for(activity), messages)
        await self._reply(activity, messages)

    async def _would_run_sketch(self, text: str, sender_id: str, agent: Any) -> bool:
        """In a team channel or group chat: would this message start or continue the idea sketch?

        Everyone in the thread reads the bot's replies, and the sketch ends with the person's
        name and e-mail, so there it never runs. Without an agent to ask (tests of the channel
        alone), only the explicit payloads are recognised.
        """
        if text.strip().startswith(SKETCH_PAYLOADS):
            return True
        if agent is None:
            return False
        try:
            tracker = await agent.tracker_store.retrieve(sender_id)
            if tracker is not None and tracker.active_loop_name:
                return True
            intent = ((await agent.parse_message(text)).get("intent") or {}).get("name")
        except Exception:
            logger.exception("Could not classify a Teams message in a team channel; not answered")
            return True  # when in doubt, nothing personal in a team thread
        return intent in SKETCH_INTENTS

    async def _ask_rasa(self, text: str, sender_id: str,
                        on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> list[dict]:
        collector = _WholeTextCollector()
        with watching_turn() as failures:  # an action or the tracker store failed inside Rasa
            try:
                await on_new_message(UserMessage(text, collector, sender_id, input_channel=self.name(),
                                                 metadata=None))
            except CancelledError:
                # What was collected may say the form started while nothing of the turn was stored.
                logger.error("Message handling timed out for a Teams conversation; the user gets the apology")
                return [{"text": ERROR_REPLY + get_knowledge().message("kansli")}]
            except Exception:
                logger.exception("Message handling failed for a Teams conversation")
                return [{"text": ERROR_REPLY + get_knowledge().message("kansli")}]
        if failures:
            logger.error("A Teams turn failed inside Rasa (%s)", ", ".join(sorted(set(failures))))
            return [{"text": ERROR_REPLY + get_knowledge().message("kansli")}]
        return collector.messages

    async def _reply(self, activity: Mapping[str, Any], messages: Iterable[Mapping[str, Any]]) -> None:
        url = reply_url(activity["serviceUrl"], activity["conversation"]["id"], activity.get("id"))
        envelope = reply_envelope(activity)
        try:
            for message in messages:
                for part in message_parts(message):
                    if not await self._post(url, {**envelope, **part}):
                        return
        except (aiohttp.ClientError, asyncio.TimeoutError, ConnectorError) as error:
            # No message text in the log: it may hold what the user wrote.
            reason = error if isinstance(error, ConnectorError) else type(error).__name__
            logger.error("Could not post a Teams reply: %s", reason)

    async def _post(self, url: str, activity: dict) -> bool:
        """POST one activity; renew the token once on 401/403, wait and retry once on 429/5xx."""
        for attempt in (1, 2):
            token = await self.tokens.get()
            async with self._http().post(url, json=activity, headers={"Authorization": f"Bearer {token}"}) as reply:
                status, retry_after = reply.status, reply.headers.get("Retry-After")
                await reply.read()
            if status < 300:
                return True
            if attempt == 1 and status in (401, 403):
                self.tokens.invalidate()
                continue
            if attempt == 1 and (status == 429 or status >= 500):
                await asyncio.sleep(_retry_delay(retry_after))
                continue
            logger.error("The Bot Connector refused a reply: HTTP %s", status)
            return False
        return False
