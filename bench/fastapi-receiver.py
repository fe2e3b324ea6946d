"""Seed 000's FastAPI results receiver (the webhook guide), as the bench's peer, and two durable variants of it.

Without RECEIVER_DATABASE it is the guide's `app.py` as written: CORS for https://cloud.scorm.com and
`/api/results` for GET and POST, which prints what it receives and echoes it back (nothing stored). That is the
receiver the issues measure the gateway against ("seed 000's FastAPI receiver").

RECEIVER_DATABASE picks a durable variant instead (the guide's receiver doing the gateway's job, for context):
  sqlite:<file>      SQLite in WAL mode with synchronous=NORMAL, one commit per request: the gateway's own SQLite
                     settings (a commit survives a crash of the process; only an OS crash may lose the last ones)
  postgres://...     psycopg 3 with a pool of 10 connections, autocommit: one committed INSERT per request on the same
                     PostgreSQL server as the gateway (synchronous_commit on, as there)

Run: python3 -m uvicorn fastapi-receiver:app --loop asyncio --http h11 --port 8000 (from bench/). The guide installs
`pip install fastapi uvicorn`, and Debian's python3-uvicorn likewise depends on h11 alone: plain uvicorn, asyncio's
loop and h11's parser, not `uvicorn[standard]`'s uvloop and httptools, so the bench names them even where installed.
"""
import json
import os
import sqlite3

from fastapi import FastAPI, Request

DATABASE = os.environ.get("RECEIVER_DATABASE", "")
app = FastAPI()

if not DATABASE:
    from fastapi.middleware.cors import CORSMiddleware

    app.add_middleware(CORSMiddleware, allow_origins=["https://cloud.scorm.com"], allow_methods=["*"])

    @app.api_route("/api/results", methods=["GET", "POST"])
    async def receive_scorm_results(request: Request):
        if request.method == "GET":
            params = dict(request.query_params)
            print("Received SCORM Data via GET:", params)
            return {"status": "success", "method": "GET", "data": params}

        data = await request.json()
        print("Received SCORM Data via POST:", data)
        return {"status": "success", "method": "POST", "data": data}

elif DATABASE.startswith("sqlite:"):
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
