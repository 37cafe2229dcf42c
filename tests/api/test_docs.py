"""The OpenAPI document matches the code, and its documentation page is local and CSP-clean."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static" / "api-docs"


def test_the_document_lists_every_api_route_and_method(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "Masar API"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item
                  if method in {"get", "post", "patch", "put", "delete"}}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    assert len(routed) >= 25
    token_op = spec["paths"]["/api/v1/auth/token"]["post"]
    assert token_op["security"] == [] and spec["security"] == [{"bearerAuth": []}]
    # Errors are documented as problems, with their own media type.
    default = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(default) == ["application/problem+json"]


def test_the_docs_page_uses_local_assets_only(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = page.get_data(as_text=True)
    page.close()
    assert "<style" not in html and "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assert "/static/api-docs/docs.js" in assets and "/static/api-docs/docs.css" in assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # no CDN
    total = sum(p.stat().st_size for p in STATIC.iterdir())
    assert total < 30_000, f"the docs assets weigh {total} bytes"


def test_the_docs_script_never_injects_html():
    script = (STATIC / "docs.js").read_text()
    assert "innerHTML" not in script and "eval(" not in script and "insertAdjacentHTML" not in script
