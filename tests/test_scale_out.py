"""Scale-out: two Rasa instances share conversations (PostgreSQL) and locks (Redis).

Needs the local PostgreSQL and Redis; skipped with a message when they are absent,
required when REQUIRE_SERVICES=1 (as in CI).
"""
import uuid

import pytest
from conftest import require_service, trained_model
from live import LiveBot, texts

SCALED_ENV = {
    "DB_HOST": "127.0.0.1", "DB_PORT": "5432", "DB_NAME": "test", "DB_USER": "postgres", "DB_PASSWORD": "",
    "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "1", "REDIS_PASSWORD": "",
}


@pytest.fixture(scope="module")
def two_instances(tmp_path_factory):
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_service("Redis", "127.0.0.1", 6379)
    model = trained_model()
    bots = [LiveBot(tmp_path_factory.mktemp(f"instance{i}"), model, extra_env=SCALED_ENV,
                    endpoints="bot/endpoints.scaled.yml") for i in range(2)]
    shared_drafts = str(tmp_path_factory.mktemp("shared-drafts"))
    for bot in bots:
        bot.env["DRAFTS_DIR"] = shared_drafts
        bot.start()
    yield bots
    for bot in bots:
        bot.stop()


def test_a_conversation_moves_between_instances(two_instances):
    first, second = two_instances
    sender = f"scale-{uuid.uuid4().hex}"
    assert "Fråga 1 av 8" in texts(first.say(sender, "jag har en idé"))
    assert "Fråga 2 av 8" in texts(second.say(sender, "Gemensam väg till arbete"))
    reply = texts(first.say(sender, "Unga vuxna med psykisk ohälsa hamnar mellan stolarna hos FK och kommunen."))
    assert "Fråga 3 av 8" in reply


def test_postgres_holds_the_conversation(two_instances):
    import psycopg2

    first, _ = two_instances
    sender = f"scale-{uuid.uuid4().hex}"
    first.say(sender, "Vem kan söka medel?")
    with psycopg2.connect(host="127.0.0.1", port=5432, dbname="test", user="postgres") as db:
        with db.cursor() as cursor:
            cursor.execute("select count(*) from events where sender_id = %s", (sender,))
            assert cursor.fetchone()[0] >= 3
