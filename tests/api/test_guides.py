"""The verification guide and the specifications it relies on are served as the repository has
them; nothing else under /docs is."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.routes.guides import DOCS_DIR, GUIDES


def test_each_guide_is_served_verbatim(api: TestClient) -> None:
    for name, file in GUIDES.items():
        for path in (f"/docs/{name}", f"/docs/{name}.md"):
            response = api.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"] == "text/markdown; charset=utf-8"
            assert response.content == (DOCS_DIR / file).read_bytes()


def test_other_names_are_not_found(api: TestClient) -> None:
    for path in ("/docs/keys", "/docs/..%2Fpyproject.toml", "/docs/%2e%2e", "/docs/verify"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert "pyproject" not in response.text
