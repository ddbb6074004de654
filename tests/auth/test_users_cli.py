"""``lcgraph users ...`` run as a user runs it: the console script on a real on-disk store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

LCGRAPH = str(Path(sys.executable).parent / "lcgraph")
PASSWORD = "a long enough password"


def run(home: Path, *args: str, input_: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LCGRAPH_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [LCGRAPH, *args], capture_output=True, text=True, env=env, input=input_, timeout=300
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("users-home")
    made = run(
        home,
        "users", "add", "jan", "--name", "Jan de Vries", "--email", "Jan@Example.org",
        "--role", "contributor:developer", "--password-stdin",
        input_=PASSWORD + "\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert PASSWORD not in made.stdout + made.stderr
    yield home


def test_add_list_show(home: Path) -> None:
    listed = json.loads(run(home, "users", "list", "--json").stdout)
    assert [(a["id"], a["email"], a["roles"], a["has_password"]) for a in listed] == [
        ("jan", "jan@example.org", ["contributor:developer"], True)
    ]
    table = run(home, "users", "list")
    assert (
        table.returncode == 0 and "Jan de Vries" in table.stdout and "contributor:developer" in table.stdout
    )
    shown = run(home, "users", "show", "jan")
    assert shown.returncode == 0 and "password: set" in shown.stdout
    assert (
        "$argon2" not in shown.stdout and "$argon2" not in run(home, "users", "show", "jan", "--json").stdout
    )


def test_errors_and_exit_codes(home: Path) -> None:
    cases = [
        (("users", "show", "nobody"), 4, "no account 'nobody'"),
        (("users", "add", "jan", "--name", "Again"), 2, "is taken"),
        (("users", "add", "kees", "--name", "K", "--role", "root"), 2, "unknown role 'root'"),
        (("users", "role", "jan"), 2, "--add ROLE or --remove ROLE"),
        (("users", "token", "create", "jan", "--scope", "moderate"), 2, "exceeds the roles"),
        (("users", "token", "create", "jan", "--expires", "soon"), 2, "invalid expiry"),
        (("users", "token", "revoke", "0123456789ab"), 4, "no token"),
    ]
    for args, code, message in cases:
        r = run(home, *args)
        assert (r.returncode, message in r.stderr) == (code, True), (args, r.returncode, r.stderr)
    short = run(home, "users", "add", "kees", "--name", "K", "--password-stdin", input_="tiny\n")
    assert short.returncode == 2 and "at least 12 characters" in short.stderr and "tiny" not in short.stderr


def test_roles_trust_disable(home: Path) -> None:
    assert run(home, "users", "role", "jan", "--add", "moderator").returncode == 0
    assert "moderator" in json.loads(run(home, "users", "show", "jan", "--json").stdout)["roles"]
    assert run(home, "users", "role", "jan", "--remove", "moderator").returncode == 0
    assert "[trusted]" in run(home, "users", "trust", "jan").stdout
    r = run(home, "users", "disable", "jan")
    assert r.returncode == 0 and "DISABLED" in r.stdout
    enabled = run(home, "users", "enable", "jan")
    assert enabled.returncode == 0 and "DISABLED" not in enabled.stdout


def test_token_create_list_revoke(home: Path) -> None:
    created = run(home, "users", "token", "create", "jan", "--scope", "read,write", "--expires", "90d")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("lcg_") and len(token.splitlines()) == 1
    assert "shown only now" in created.stderr
    token_id = token.split("_")[1]
    listed = json.loads(run(home, "users", "token", "list", "jan", "--json").stdout)
    mine = next(t for t in listed if t["id"] == token_id)
    assert mine["scopes"] == ["read", "write"] and mine["state"] == "active" and mine["expires"]
    secret = token.split("_", 2)[2]
    assert secret not in run(home, "users", "token", "list", "jan").stdout
    assert (
        secret not in (Path(home) / "store").read_bytes().decode("latin-1")
        if (Path(home) / "store").is_file()
        else True
    )
    revoked = run(home, "users", "token", "revoke", token_id)
    assert revoked.returncode == 0 and f"revoked token {token_id} of jan" in revoked.stdout
    listed = json.loads(run(home, "users", "token", "list", "jan", "--json").stdout)
    assert next(t for t in listed if t["id"] == token_id)["state"] == "revoked"


def test_exports_of_public_graphs_hold_no_account_data(home: Path) -> None:
    loaded = run(home, "load")
    assert loaded.returncode == 0, loaded.stderr
    for fmt in ("ttl",):
        exported = run(home, "export", "-f", fmt)
        assert exported.returncode == 0 and "Learning" in exported.stdout
        for marker in ("jan@example.org", "$argon2", "/id/account/", "/id/token/", "graph/accounts"):
            assert marker not in exported.stdout, (fmt, marker)
