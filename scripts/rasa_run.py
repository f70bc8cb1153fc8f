"""`python -m rasa …`, but with the API secrets taken from the environment or a file.

`rasa run --auth-token X` / `--jwt-secret X` put the secret on the command line, where `ps`
(and /proc/<pid>/cmdline) shows it to every user of the machine. Rasa 3.6 reads these only
from its arguments, so this launcher parses the arguments with Rasa's own parser and adds
the secrets afterwards:

  RASA_AUTH_TOKEN  or RASA_AUTH_TOKEN_FILE   -> --auth-token (Rasa's HTTP API, ?token=…)
  RASA_JWT_SECRET  or RASA_JWT_SECRET_FILE   -> --jwt-secret (with --jwt-method HS256 by default)

Either one also switches on --enable-api. The variables are removed from this process's
environment once read, so nothing Rasa starts inherits them.
Usage: scripts/rasa_run.py run --model … (the same arguments as `rasa`, without the secrets).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channels.security import secret_from_env  # noqa: E402

SECRET_FLAGS = ("--auth-token", "--jwt-secret", "--jwt-private-key")


def take_secret(name: str) -> str:
    value = secret_from_env(name)
    os.environ.pop(name, None)
    return value


def add_secrets(arguments, auth_token: str, jwt_secret: str):
    if not hasattr(arguments, "auth_token"):  # not `rasa run`
        return arguments
    if auth_token:
        arguments.auth_token = auth_token
    if jwt_secret:
        arguments.jwt_secret = jwt_secret
        arguments.jwt_method = arguments.jwt_method or "HS256"
    if auth_token or jwt_secret:
        arguments.enable_api = True
    return arguments


def main() -> None:
    if any(arg.split("=")[0] in SECRET_FLAGS for arg in sys.argv[1:]):
        sys.exit("Ange inte hemligheter på kommandoraden: sätt RASA_AUTH_TOKEN eller RASA_JWT_SECRET "
                 "(eller …_FILE) i miljön.")
    auth_token, jwt_secret = take_secret("RASA_AUTH_TOKEN"), take_secret("RASA_JWT_SECRET")

    import rasa.__main__ as rasa_main

    create_parser = rasa_main.create_argument_parser

    def parser_with_secrets():
        parser = create_parser()
        parse_args = parser.parse_args

        def parse(args=None, namespace=None):
            return add_secrets(parse_args(args, namespace), auth_token, jwt_secret)

        parser.parse_args = parse
        return parser

    rasa_main.create_argument_parser = parser_with_secrets
    rasa_main.main()


if __name__ == "__main__":
    main()
