"""`python -m kansli` starts the workspace; see kansli/cli.py for accounts."""
from kansli.app import main

main()
