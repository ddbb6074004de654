"""``lcgraph users ...``: accounts, roles and API tokens from the command line.

An API token is printed once, alone on stdout (so ``TOKEN=$(lcgraph users token create ...)`` works);
only its hash is stored. Passwords are read from stdin (``--password-stdin``) or asked for without echo,
never taken as arguments (they would end up in shell history and process lists).
"""

from __future__ import annotations

import getpass
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from kg.accounts import Account, AccountStore, TokenInfo
from kg.errors import Conflict, Forbidden, InvalidInput
from kg.permissions import Role, parse_role, parse_scopes
from lcgraph.cli import _graph, app, err, out

users_app = typer.Typer(help="Accounts, roles and API tokens.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: create (shown once), list, revoke.", no_args_is_help=True)
app.add_typer(users_app, name="users")
users_app.add_typer(token_app, name="token")

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AccountId = Annotated[str, typer.Argument(help="Account id (a slug such as jan-de-vries).")]
ROLE_HELP = "contributor:facilitator, contributor:developer, moderator or admin (repeatable)."
_DURATION = re.compile(r"^(\d+)\s*([dhm])$")


@contextmanager
def _accounts() -> Iterator[AccountStore]:
    """Open the graph and its account store; refusals (taken id, scope over the roles) exit with 2."""
    with _graph() as kg:
        try:
            yield AccountStore(kg.store)
        except (Conflict, Forbidden) as exc:
            raise InvalidInput(exc.message, where=exc.where) from None


def parse_expiry(text: str) -> timedelta | None:
    """Parse ``90d``, ``12h``, ``30m`` or ``never``; raise :class:`InvalidInput` on anything else."""
    if text.strip().lower() in ("never", "none", "0"):
        return None
    match = _DURATION.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"invalid expiry {text!r}: use e.g. 90d, 12h, 30m or never", where="--expires")
    n, unit = int(match.group(1)), match.group(2)
    if n > 3650 * (24 if unit == "h" else 1440 if unit == "m" else 1):
        raise InvalidInput("the expiry is too far away: at most ten years", where="--expires")
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise InvalidInput("the two passwords differ", where="password")
    return first


def _roles(values: list[str] | None) -> list[Role]:
    return [parse_role(v) for v in values or []]


def _account_json(a: Account) -> dict[str, object]:
    return {
        "id": a.id,
        "name": a.name,
        "email": a.email,
        "roles": sorted(r.value for r in a.roles),
        "trusted": a.trusted,
        "disabled": a.disabled,
        "created": a.created.isoformat(),
        "has_password": a.has_password,
        "identities": [{"issuer": i.issuer, "subject": i.subject} for i in a.identities],
    }


def _token_json(t: TokenInfo) -> dict[str, object]:
    def iso(d: datetime | None) -> str | None:
        return d.isoformat() if d else None

    return {
        "id": t.id,
        "account": t.account_id,
        "scopes": sorted(s.value for s in t.scopes),
        "state": t.state(datetime.now(UTC)),
        "created": iso(t.created),
        "expires": iso(t.expires),
        "last_used": iso(t.last_used),
        "revoked": iso(t.revoked),
        "note": t.note,
    }


def _print_account(a: Account) -> None:
    roles = ", ".join(sorted(r.value for r in a.roles)) or "reader"
    flags = [f for f, on in (("trusted", a.trusted), ("DISABLED", a.disabled)) if on]
    out.print(
        f"{a.id}  {a.name}  <{a.email or '-'}>  roles: {roles}"
        + (f"  [{', '.join(flags)}]" if flags else ""),
        markup=False,
        highlight=False,
    )


@users_app.command("add")
def users_add(
    account_id: AccountId,
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    email: Annotated[str | None, typer.Option("--email", help="E-mail address (also a login).")] = None,
    role: Annotated[list[str] | None, typer.Option("--role", help=ROLE_HELP)] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read a password from the first line of stdin.")
    ] = False,
    trusted: Annotated[bool, typer.Option("--trusted", help="Trust the account's contributions.")] = False,
) -> None:
    """Create an account (no role: a signed-in reader); with --password-stdin it can sign in by password."""
    password = _read_password(True) if password_stdin else None
    with _accounts() as accounts:
        roles = _roles(role)
        account = accounts.create(
            account_id, name=name, email=email, roles=roles, password=password, trusted=trusted
        )
        out.print("created account:", highlight=False)
        _print_account(account)


@users_app.command("list")
def users_list(as_json: AsJson = False) -> None:
    """List every account with its roles and flags."""
    with _accounts() as accounts:
        found = accounts.accounts()
        if as_json:
            print(json.dumps([_account_json(a) for a in found], indent=2, ensure_ascii=False))
            return
        table = Table(show_header=True)
        for col in ("id", "name", "email", "roles", "trusted", "disabled", "created"):
            table.add_column(col)
        for a in found:
            table.add_row(
                a.id,
                a.name,
                a.email or "",
                ", ".join(sorted(r.value for r in a.roles)) or "reader",
                "yes" if a.trusted else "",
                "DISABLED" if a.disabled else "",
                a.created.date().isoformat(),
            )
        out.print(table)
        out.print(f"[dim]{len(found)} account(s)[/]")


@users_app.command("show")
def users_show(account_id: AccountId, as_json: AsJson = False) -> None:
    """Show one account, its linked sign-in identities and its tokens."""
    with _accounts() as accounts:
        account = accounts.get(account_id)
        tokens = accounts.tokens(account_id)
        if as_json:
            data = _account_json(account) | {"tokens": [_token_json(t) for t in tokens]}
            print(json.dumps(data, indent=2, ensure_ascii=False))
            return
        _print_account(account)
        out.print(f"password: {'set' if account.has_password else 'not set'}", highlight=False)
        for i in account.identities:
            out.print(f"identity: {i.issuer} {i.subject}", markup=False, highlight=False)
        now = datetime.now(UTC)
        for t in tokens:
            scopes = ", ".join(sorted(s.value for s in t.scopes))
            out.print(f"token {t.id}: {scopes} ({t.state(now)})", highlight=False)


@users_app.command("role")
def users_role(
    account_id: AccountId,
    add: Annotated[list[str] | None, typer.Option("--add", help=ROLE_HELP)] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help=ROLE_HELP)] = None,
) -> None:
    """Add or remove roles; tokens lose at once whatever a removed role granted."""
    if not add and not remove:
        err.print("[bold red]error:[/] give --add ROLE or --remove ROLE")
        raise typer.Exit(2)
    with _accounts() as accounts:
        _print_account(accounts.set_roles(account_id, add=_roles(add), remove=_roles(remove)))


@users_app.command("trust")
def users_trust(
    account_id: AccountId,
    undo: Annotated[bool, typer.Option("--undo", help="Withdraw the trust.")] = False,
) -> None:
    """Mark an account trusted (moderators may review its contributions lightly)."""
    with _accounts() as accounts:
        _print_account(accounts.set_trusted(account_id, not undo))


@users_app.command("disable")
def users_disable(account_id: AccountId) -> None:
    """Disable an account: it cannot sign in, its sessions end and its tokens are refused."""
    with _accounts() as accounts:
        _print_account(accounts.set_disabled(account_id, True))


@users_app.command("enable")
def users_enable(account_id: AccountId) -> None:
    """Enable a disabled account again (its unexpired, unrevoked tokens work again)."""
    with _accounts() as accounts:
        _print_account(accounts.set_disabled(account_id, False))


@users_app.command("password")
def users_password(
    account_id: AccountId,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read it from stdin.")] = False,
) -> None:
    """Set an account's password (argon2id hash; at least 12 characters)."""
    password = _read_password(password_stdin)
    with _accounts() as accounts:
        accounts.set_password(account_id, password)
        out.print(f"password of {account_id} set", highlight=False)


@token_app.command("create")
def token_create(
    account_id: AccountId,
    scope: Annotated[
        str, typer.Option("--scope", help="Comma-separated: read, write, moderate, admin.")
    ] = "read",
    expires: Annotated[str, typer.Option("--expires", help="Lifetime: 90d, 12h, 30m or never.")] = "90d",
    note: Annotated[str | None, typer.Option("--note", help="What the token is for.")] = None,
) -> None:
    """Create an API token and print it once; its scopes never exceed the account's roles."""
    with _accounts() as accounts:
        scopes = parse_scopes(scope)
        lifetime = parse_expiry(expires)
        issued = accounts.create_token(account_id, scopes, expires_in=lifetime, note=note)
        info = issued.info
        until = info.expires.isoformat() if info.expires else "never"
        err.print(
            f"token {info.id} for {account_id} ({', '.join(sorted(s.value for s in info.scopes))}), "
            f"expires {until}. It is shown only now: store it somewhere safe.",
            highlight=False,
        )
        print(issued.token)


@token_app.command("list")
def token_list(account_id: AccountId, as_json: AsJson = False) -> None:
    """List an account's tokens (ids, scopes, state; never the secrets)."""
    with _accounts() as accounts:
        tokens = accounts.tokens(account_id)
        if as_json:
            print(json.dumps([_token_json(t) for t in tokens], indent=2))
            return
        now = datetime.now(UTC)
        table = Table(show_header=True)
        for col in ("id", "scopes", "state", "created", "expires", "last used", "note"):
            table.add_column(col)
        for t in tokens:
            table.add_row(
                t.id,
                ", ".join(sorted(s.value for s in t.scopes)),
                t.state(now),
                t.created.isoformat(),
                t.expires.isoformat() if t.expires else "never",
                t.last_used.isoformat() if t.last_used else "",
                t.note or "",
            )
        out.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="Token id (see `users token list`).")]) -> None:
    """Revoke a token: it is refused from now on, by every server process."""
    with _accounts() as accounts:
        info = accounts.revoke_token(token_id)
        out.print(f"revoked token {info.id} of {info.account_id}", highlight=False)
