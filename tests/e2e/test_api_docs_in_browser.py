"""The OpenAPI reference renders from this site under the site's own CSP (issue 8: it used to load Swagger from a
CDN that the CSP blocked). This page is opened without bypass_csp, so a blocked script fails the test."""

from __future__ import annotations


def test_api_docs_render_under_the_sites_csp(server, browser):
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(server.base + "/api/docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    assert "/api/v1/recovery" in page.locator("#swagger-ui").inner_text()
    assert refused == []
    context.close()
