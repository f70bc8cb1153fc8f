"""The kansli workspace: a separate, login-protected web app where the förbund's kansli reviews drafts.

Importing the package is cheap and Rasa-free: the action server imports kansli.records to
record a stored draft, without pulling in the web framework.
"""
