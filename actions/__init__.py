"""Thin Rasa action classes; the logic they call lives in the Rasa-free package `finsam`."""
