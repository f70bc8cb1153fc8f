"""The product's domain logic, free of Rasa: knowledge, sketch, pre-review, draft, redaction, mail.

Channels, the Rasa actions and the kansli workspace all import from here.
"""
