"""The HTTP ceiling: a trivial FastAPI endpoint served exactly as the services are
(``services.runtime.service.serve``: same uvicorn, event loop, parser and workers).

``POST /v1/checkins`` validates a check-in-shaped body with Pydantic and answers 201
with a small JSON object: no token check, no database, no outbox. The load generator
sends it the very bytes it sends the check-in service.

    python -m tools.bench.trivial        # HADIR_PORT, HADIR_HOST as usual
"""

from __future__ import annotations

import os

from fastapi import FastAPI, status
from pydantic import AwareDatetime, BaseModel

from services.runtime.service import serve
from services.runtime.settings import Settings


class Location(BaseModel):
    latitude: float
    longitude: float
    accuracy_m: float


class CheckinShape(BaseModel):
    kind: str
    captured_at: AwareDatetime
    location: Location | None = None


def build() -> FastAPI:
    app = FastAPI(title="trivial")

    @app.post("/v1/checkins", status_code=status.HTTP_201_CREATED)
    async def accept(body: CheckinShape) -> dict[str, str]:
        return {"status": "accepted", "kind": body.kind}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


if __name__ == "__main__":
    serve(build(), Settings(service="trivial", port=int(os.environ.get("HADIR_PORT", "8000"))))
