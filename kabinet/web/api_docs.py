"""The OpenAPI reference at ``/api/docs``, served from this site: Swagger UI 5 (FastAPI writes OpenAPI 3.1) from
the packaged ``swagger-ui-bundle-v2`` — nothing from a CDN, which the site's CSP would block anyway — started by
a script file, not an inline script."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from kabinet.web.deps import SCHEMES, optional_session
from kabinet.web.steps import step_router

router = step_router(include_in_schema=False)

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
    document_sessions(app)


def document_sessions(app: FastAPI) -> None:
    """Every operation that reads the citizen's session says so in OpenAPI (a bearer token or the browser's cookie),
    without the schemes being dependencies resolved on every request (see ``kabinet.web.deps.SCHEMES``)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes.update({name: scheme.model.model_dump(mode="json", by_alias=True, exclude_none=True)
                        for name, scheme in SCHEMES.items()})
        for context in iter_route_contexts(app.routes):  # routers included in others too
            route = context.original_route
            if isinstance(route, APIRoute) and route.include_in_schema and _reads_session(route.dependant):
                for method in context.methods or ():
                    operation = schema["paths"][context.path_format][method.lower()]
                    operation["security"] = [*operation.get("security", []),
                                             *({name: []} for name in SCHEMES)]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _reads_session(dependant: Dependant) -> bool:
    return any(d.call is optional_session or _reads_session(d) for d in dependant.dependencies)
