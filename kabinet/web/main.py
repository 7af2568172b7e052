"""Entry point for ``uvicorn --factory`` (one app per worker process, wired from the environment)."""

from __future__ import annotations

from fastapi import FastAPI

from kabinet import bootstrap, logs
from kabinet.config import Settings
from kabinet.web.app import create_app


def app_from_env() -> FastAPI:
    settings = Settings()
    logs.configure(settings.log_format)  # each worker process sets up its own (redacting) logging
    return create_app(bootstrap.build(settings))
