"""The OpenAPI reference at ``/api/docs``, served from this site: Swagger UI 5 (FastAPI writes OpenAPI 3.1) from
the packaged ``swagger-ui-bundle-v2`` — nothing from a CDN, which the site's CSP would block anyway — started by
a script file, not an inline script."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kabinet API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script></body></html>"""


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    return HTMLResponse(PAGE)


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/api/docs/assets", StaticFiles(directory=swagger_ui_path), name="api-docs-assets")
