"""Command line of the kansli workspace (make kansli-user, make demo).

  python -m kansli.cli add-user [USERNAME] [--name "Förnamn Efternamn"] [--sso-only | --password-stdin]
  python -m kansli.cli demo-user      # first run only: account "demo" with a random password, printed once
  python -m kansli.cli migrate | import
"""
from __future__ import annotations

import argparse
import getpass
import secrets
import sys

from sqlalchemy import select

from kansli import config, records
from kansli.auth import create_user, normalise
from kansli.db import migrate, session_scope
from kansli.models import User

DEMO_USER = "demo"


def _password() -> str:
    while True:
        first = getpass.getpass("Lösenord (minst 12 tecken, tomt = slumpa ett): ")
        if not first:
            password = secrets.token_urlsafe(15)
            print(f"Slumpat lösenord: {password}")
            return password
        if len(first) < 12:
            print("För kort, minst 12 tecken.")
            continue
        if getpass.getpass("Samma lösenord igen: ") == first:
            return first
        print("Lösenorden var olika, försök igen.")


def add_user(args, url: str) -> int:
    username = normalise(args.username or input("Användarnamn (t.ex. e-postadress): "))
    if not username:
        print("Inget användarnamn angivet.", file=sys.stderr)
        return 2
    name = args.name or input(f"Namn som visas [{username}]: ").strip() or username
    if args.sso_only:
        password = None
    elif args.password_stdin:  # for scripts: the password never appears on a command line
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = _password()
    try:
        with session_scope(url) as session:
            create_user(session, username, name, password)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"Kontot {username} är klart." + (" Inloggning bara via Microsoft." if args.sso_only else ""))
    return 0


def demo_user(url: str) -> int:
    with session_scope(url) as session:
        if session.execute(select(User).where(User.username == DEMO_USER)).first():
            print("Demokontot 'demo' finns redan (lösenordet visades första gången; nytt med make kansli-user).")
            return 0
        password = secrets.token_urlsafe(15)
        create_user(session, DEMO_USER, "Demo Kansli", password)
    print(f"Demokonto för kansliets arbetsyta: användarnamn demo, lösenord {password}  (visas bara nu)")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kansli.cli", description="Kansliets arbetsyta")
    commands = parser.add_subparsers(dest="command", required=True)
    user = commands.add_parser("add-user", help="skapa eller uppdatera ett konto")
    user.add_argument("username", nargs="?")
    user.add_argument("--name")
    user.add_argument("--sso-only", action="store_true", help="inget lösenord: bara inloggning via Microsoft")
    user.add_argument("--password-stdin", action="store_true", help="läs lösenordet från standard in")
    commands.add_parser("demo-user", help="demokonto med slumpat lösenord (första gången)")
    commands.add_parser("migrate", help="uppdatera databasschemat")
    commands.add_parser("import", help="läs in nya utkast från DRAFTS_DIR")
    args = parser.parse_args(argv)
    url = config.database_url()
    migrate(url)
    if args.command == "add-user":
        return add_user(args, url)
    if args.command == "demo-user":
        return demo_user(url)
    if args.command == "import":
        print(f"{records.import_drafts(url)} nya utkast inlästa.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
