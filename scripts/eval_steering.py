"""How often a steering message in words of its own would be taken as an answer in the form (finsam.steering).

    make eval-steering

Leave one out: each example of a steering intent that can drop a typed answer is read by the form's own
rule (finsam.sketch.names_something) with the steering vocabulary of all the other examples, as a user's
new phrasing would be, once at the title and once at another question (chat words count as an answer
only in a title). Prints the share read as an answer and those messages.
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from finsam.nlu_examples import examples_by_intent  # noqa: E402
from finsam.sketch import DROPPING_INTENTS, field_from_text, names_something  # noqa: E402
from finsam.steering import STEERING_INTENTS, keys_of  # noqa: E402


def main() -> int:
    typed, bare = examples_by_intent(annotations="typed"), examples_by_intent(annotations="drop")
    steering = [(intent, text) for intent in sorted(STEERING_INTENTS) for text in typed.get(intent, [])]
    print(f"Läser {len(steering)} styrande exempel …", flush=True)
    own = [keys_of([text]) for intent in sorted(STEERING_INTENTS) for text in bare.get(intent, [])]
    places = {"title": "vid arbetstiteln", "background": "vid fråga 2–8"}
    read_as_answer: Counter = Counter()
    tried: Counter = Counter()
    for index, (intent, text) in enumerate(steering):
        if intent not in DROPPING_INTENTS or intent == "edit_answer" and field_from_text(text):
            continue  # a change request that names a field is one whatever else it says
        others = frozenset().union(*(keys for other, keys in enumerate(own) if other != index))
        for slot in places:
            tried[slot, intent] += 1
            if names_something(slot, text, intent, offered=False, steering=others):
                read_as_answer[slot, intent] += 1
                print(f"  {places[slot]:16} {intent:14} {text!r}")
    for slot, place in places.items():
        total = sum(n for (where, _), n in tried.items() if where == slot)
        wrong = sum(n for (where, _), n in read_as_answer.items() if where == slot)
        print(f"\nStyrande meddelanden som skulle läsas som svar {place} (lämna-ett-utanför): {wrong} av {total} "
              f"({100 * wrong / max(total, 1):.1f} %)")
        for (where, intent) in sorted(tried):
            if where == slot:
                print(f"  {intent:14} {read_as_answer[where, intent]:3} av {tried[where, intent]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
