"""sitemap.xml lists every landing page; robots.txt points to it and keeps crawlers out of
private pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree

from archive_helpers import bearer, draft_with_file, publish_via_review
from matcloud.core.models import Role

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_sitemap_lists_published_landing_pages(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    draft = draft_with_file(client, ada)
    published = draft_with_file(client, ada)
    publish_via_review(client, ada, mod, published)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.headers["content-type"] == "application/xml"
    tree = etree.fromstring(response.content)
    locs = tree.xpath("//s:url/s:loc/text()", namespaces=NS)
    concept = published.removesuffix("v1")
    assert locs == [
        f"http://testserver/records/{concept}",
        f"http://testserver/records/{published}",
    ]
    assert all(tree.xpath("//s:url/s:lastmod/text()", namespaces=NS))
    assert draft not in response.text
    assert client.get("/sitemap.xml", params={"page": 2}).status_code == 404


def test_robots_txt(client: TestClient) -> None:
    text = client.get("/robots.txt").text
    assert "Sitemap: http://testserver/sitemap.xml" in text
    for private in ["/uploads", "/requests", "/account", "/admin", "/dl/"]:
        assert f"Disallow: {private}\n" in text
