"""How often a steering message in words of its own would be taken as an answer (finsam.steering).

    make eval-steering

Leave one out: each example of a steering intent that can drop a typed answer is read with the
steering vocabulary of all the other examples, as a user's new phrasing would be. Prints the share
read as an answer (a noun that steering never uses) and those messages.
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from finsam.nlu_examples import examples_by_intent  # noqa: E402
from finsam.sketch import DROPPING_INTENTS, MOVING_INTENTS, field_from_text  # noqa: E402
from finsam.steering import STEERING_INTENTS, content_nouns, keys_of  # noqa: E402


def main() -> int:
    typed, bare = examples_by_intent(annotations="typed"), examples_by_intent(annotations="drop")
    steering = [(intent, text) for intent in sorted(STEERING_INTENTS) for text in typed.get(intent, [])]
    print(f"Läser {len(steering)} styrande exempel …", flush=True)
    own = [keys_of([text]) for intent in sorted(STEERING_INTENTS) for text in bare.get(intent, [])]
    read_as_answer: Counter = Counter()
    tried: Counter = Counter()
    for index, (intent, text) in enumerate(steering):
        if intent not in DROPPING_INTENTS or intent == "edit_answer" and field_from_text(text):
            continue  # a change request that names a field is one whatever else it says
        others = frozenset().union(*(keys for other, keys in enumerate(own) if other != index))
        tried[intent] += 1
        nouns = content_nouns(text, fields_steer=intent in MOVING_INTENTS, steering=others)
        if nouns:
            read_as_answer[intent] += 1
            print(f"  {intent:14} {text!r}: {', '.join(nouns)}")
    total, wrong = sum(tried.values()), sum(read_as_answer.values())
    print(f"\nStyrande meddelanden som skulle läsas som svar (lämna-ett-utanför): {wrong} av {total} "
          f"({100 * wrong / max(total, 1):.1f} %)")
    for intent in sorted(tried):
        print(f"  {intent:14} {read_as_answer[intent]:3} av {tried[intent]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
