"""``lcgraph backup DIR`` and ``lcgraph restore BACKUP HOME``: consistent backups, restores into empty homes.

``backup`` opens the store itself when no process holds it. When a running server holds it (the embedded
store admits one process), it asks that server: ``POST /admin/backup`` with an admin API token
(``--token`` or ``LCGRAPH_TOKEN``); the server writes the backup under its own ``home/backups/`` and the
command copies that directory to DIR, so it must run on the server's machine. See :mod:`kg.backup`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import httpx
import typer

from kg.backup import BackupManifest, backup_home, read_manifest, restore
from kg.config import Settings
from kg.errors import InvalidInput, LcGraphError, NotFound, StoreUnavailable
from lcgraph.cli import _exit_code, app, err, out

TOKEN_ENV = "LCGRAPH_TOKEN"


@contextmanager
def _errors() -> Iterator[None]:
    """Report lcgraph errors as one line on stderr with the usual exit codes (2, 3, 4)."""
    try:
        yield
    except LcGraphError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(_exit_code(exc)) from None


def _from_server(server: str, token: str | None, target: Path) -> BackupManifest:
    """Ask the server holding the store for a backup, then copy its directory to ``target``."""
    if not token:
        raise InvalidInput(
            f"the store is held by a running server; give an admin API token (--token or {TOKEN_ENV})",
            where="--token",
        )
    url = server.rstrip("/") + "/admin/backup"
    try:
        response = httpx.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=600)
    except httpx.HTTPError as exc:
        raise StoreUnavailable(
            f"the store is locked and the server does not answer: {exc}", where=url
        ) from exc
    if response.status_code != 200:
        try:
            detail = str(response.json().get("detail", response.text))
        except ValueError:
            detail = response.text
        raise InvalidInput(f"the server refused the backup ({response.status_code}): {detail}", where=url)
    source = Path(response.json()["path"])
    manifest = read_manifest(source)  # the server's copy must be on this machine
    shutil.copytree(source, target, dirs_exist_ok=True)
    return manifest


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(help="Directory to write the backup to (absent or empty).")],
    server: Annotated[
        str | None, typer.Option(help="URL of the server holding the store (default: from host and port).")
    ] = None,
    token: Annotated[
        str | None, typer.Option(help=f"Admin API token for the server (default: ${TOKEN_ENV}).")
    ] = None,
) -> None:
    """Write a consistent backup (store checkpoint, search indexes, backup.json), even while serving."""
    settings = Settings()
    with _errors():
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise InvalidInput("refusing to write the backup into a non-empty directory", where=str(target))
        try:
            manifest = backup_home(settings, target)
        except StoreUnavailable:
            if target.exists() and any(target.iterdir()):
                raise
            url = server or f"http://{settings.host}:{settings.port}"
            manifest = _from_server(url, token or os.environ.get(TOKEN_ENV), target)
        out.print(
            f"backup written to {target}: {manifest.quads} quads, "
            f"{len(manifest.index_files)} index files ({manifest.created_at})",
            soft_wrap=True,
        )


@app.command("restore")
def restore_cmd(
    source: Annotated[Path, typer.Argument(help="A backup directory written by `lcgraph backup`.")],
    home: Annotated[
        Path | None, typer.Argument(help="Empty directory to restore into (default: $LCGRAPH_HOME).")
    ] = None,
) -> None:
    """Restore a backup into an empty home, checked against its manifest; never touches existing data."""
    with _errors():
        target = home if home is not None else Settings().home
        if not source.exists():
            raise NotFound("no such backup directory", where=str(source))
        manifest = restore(source, target)
        out.print(f"restored {manifest.quads} quads into {target}", soft_wrap=True)
