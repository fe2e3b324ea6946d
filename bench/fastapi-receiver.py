"""The results receiver of the webhook guide (SCORM Cloud + FastAPI), as the bench's peer.

The guide's `POST /api/results` reads the JSON and only prints it; this one also stores it durably, so it does the
job the gateway does: one row per postback, committed before the 200.

RECEIVER_DATABASE picks the storage:
  sqlite:<file>      SQLite in WAL mode with synchronous=NORMAL, one commit per request: the gateway's own SQLite
                     settings (a commit survives a crash of the process; only an OS crash may lose the last ones)
  postgres://...     psycopg 3 with a pool of 10 connections, autocommit: one committed INSERT per request on the same
                     PostgreSQL server as the gateway (synchronous_commit on, as there)

Run: RECEIVER_DATABASE=sqlite:/tmp/r.db python3 -m uvicorn fastapi-receiver:app --port 8000 (from bench/, Debian's
python3-fastapi and python3-uvicorn; uvloop and httptools when installed, as `uvicorn[standard]` would bring).
"""
import json
import os
import sqlite3

from fastapi import FastAPI, Request

DATABASE = os.environ["RECEIVER_DATABASE"]
app = FastAPI()

if DATABASE.startswith("sqlite:"):
    connection = sqlite3.connect(DATABASE[len("sqlite:"):], isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS results (id INTEGER PRIMARY KEY, registration_id TEXT, body TEXT NOT NULL, "
        "received_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )

    @app.post("/api/results")
    async def receive_results(request: Request):
        data = await request.json()
        connection.execute("INSERT INTO results (registration_id, body) VALUES (?, ?)", (data.get("id"), json.dumps(data)))
        return {"status": "success", "registration_id": data.get("id")}

    @app.get("/api/results/count")
    async def count():
        return {"count": connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]}

else:
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(DATABASE, min_size=10, max_size=10, kwargs={"autocommit": True}, open=False)

    @app.on_event("startup")
    async def open_pool():
        await pool.open()
        async with pool.connection() as connection:
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS results (id bigserial PRIMARY KEY, registration_id text, body jsonb NOT NULL, "
                "received_at timestamptz NOT NULL DEFAULT now())"
            )

    @app.post("/api/results")
    async def receive_results(request: Request):
        data = await request.json()
        async with pool.connection() as connection:
            await connection.execute(
                "INSERT INTO results (registration_id, body) VALUES (%s, %s)", (data.get("id"), json.dumps(data))
            )
        return {"status": "success", "registration_id": data.get("id")}

    @app.get("/api/results/count")
    async def count():
        async with pool.connection() as connection:
            return {"count": (await (await connection.execute("SELECT COUNT(*) FROM results")).fetchone())[0]}
