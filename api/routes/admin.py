"""Administration: ``POST /admin/backup`` writes a consistent backup while the server runs.

The embedded store admits one process, so ``lcgraph backup`` asks the running server to take the
snapshot. The server always writes it into a fresh directory under its own ``home/backups/`` (a client
never chooses a path on the server) and answers with that path and the manifest; the CLI, on the same
machine, copies the directory to where the operator asked.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import require
from api.deps import kg_of, settings_of
from kg.backup import server_backup_dir, snapshot
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.permissions import Permission, Principal

router = APIRouter(tags=["status"])


class BackupResponse(BaseModel):
    """Where the server wrote a backup, and its manifest."""

    path: str = Field(description="Absolute path of the backup directory on the server's machine.")
    manifest: dict[str, Any] = Field(description="The backup's backup.json.")


@router.post(
    "/admin/backup",
    response_model=BackupResponse,
    summary="Write a consistent backup under the server's home/backups (admin)",
)
async def backup(
    request: Request,
    _principal: Annotated[Principal, Depends(require(Permission.BACKUP_CREATE))],
) -> BackupResponse:
    """Checkpoint the store and copy the search indexes into ``home/backups/<time>-<random>/``."""
    kg: KnowledgeGraph = kg_of(request)
    settings: Settings = settings_of(request)
    search = getattr(request.app.state, "search", None)
    guard: AbstractContextManager[Any] | None = search.engine.sync_lock if search is not None else None
    target = server_backup_dir(settings.home).resolve()
    manifest = await run_in_threadpool(snapshot, kg, target, index_dir=settings.index_path, index_guard=guard)
    return BackupResponse(path=str(target), manifest=asdict(manifest))
