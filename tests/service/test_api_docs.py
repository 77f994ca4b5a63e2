"""Every service's documentation pages and the security of its OpenAPI document, read in process
(no lifespan: nothing starts): ``/docs`` and ``/redoc`` load only the service's own vendored assets
under a policy that allows the service's origin only and no inline script, and every operation but
the public ones states its credentials (a bearer JWT or an API key), which gives the pages their
Authorize button. The pages rendering in a browser with the network cut: tests/web/test_docs.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.runtime import api_docs, auth
from tests.security.apps import SERVICES, build, routes

EITHER_CREDENTIAL = [{"bearerAuth": []}, {"apiKeyAuth": []}]  # OpenAPI: one of the two
SOURCES = {"'self'", "'none'", "data:"}  # every source a documentation page may name


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FastAPI]:
    tmp = tmp_path_factory.mktemp("api-docs")
    return {name: build(name, tmp).app for name in SERVICES}


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def client(app: FastAPI, root_path: str = "") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, root_path=root_path), base_url="http://svc")


def test_every_protected_operation_states_its_credentials(apps: dict[str, FastAPI]) -> None:
    counted: dict[str, int] = {}
    for name, app in apps.items():
        doc = app.openapi()
        schemes = doc["components"]["securitySchemes"]
        assert {k: v for k, v in schemes["bearerAuth"].items() if k != "description"} == {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}, name
        assert {k: v for k, v in schemes["apiKeyAuth"].items() if k != "description"} == {
            "type": "apiKey", "in": "header", "name": "X-API-Key"}, name
        assert all(s["description"] for s in schemes.values())
        for path, method, operation in operations(doc):
            if path in auth.PUBLIC_PATHS:
                assert "security" not in operation, f"{name} {method} {path} is public"
            else:
                assert operation.get("security") == EITHER_CREDENTIAL, f"{name} {method} {path}"
                counted[name] = counted.get(name, 0) + 1
    assert set(counted) == set(SERVICES) and all(n > 0 for n in counted.values()), counted


def test_every_operation_has_a_summary_and_a_description(apps: dict[str, FastAPI]) -> None:
    """What /docs shows of an operation: a summary written for people (not the one FastAPI makes
    from the function's name, such as "Get Mine") and a description (who may call it, what it
    answers, its defaults)."""
    missing: list[str] = []
    for name, app in apps.items():
        endpoints = {(route.path, method.lower()): route.endpoint for route in routes(app) for method in route.methods}
        for path, method, operation in operations(app.openapi()):
            endpoint = endpoints[(path, method)]
            generated = (endpoint.__name__ if endpoint else "").replace("_", " ").title().strip()
            summary, description = operation.get("summary", "").strip(), operation.get("description", "").strip()
            if not summary or summary == generated:
                missing.append(f"{name} {method.upper()} {path}: summary {summary!r}")
            if len(description) < 20:
                missing.append(f"{name} {method.upper()} {path}: description {description!r}")
    assert missing == [], "\n".join(missing)


async def test_pages_load_only_the_services_own_assets(apps: dict[str, FastAPI]) -> None:
    for name, app in apps.items():
        async with client(app) as http:
            for page in ("/docs", "/redoc"):
                response = await http.get(page)
                assert response.status_code == 200, (name, page)
                assert response.headers["content-type"].startswith("text/html")
                csp = policy(response.headers["content-security-policy"])
                assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"], (name, page, csp)
                assert csp["connect-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
                inline_styles = {"'unsafe-inline'"} if page == "/redoc" else set()  # ReDoc's styled-components
                assert set(csp["style-src"]) == {"'self'"} | inline_styles, (name, page)
                assert all(set(sources) <= SOURCES | inline_styles for sources in csp.values()), (name, page, csp)
                html = response.text
                scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
                assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts), html
                refs = re.findall(r'(?:src|href)="([^"]+)"', html)
                assert "http:" not in html and "https:" not in html and "//" not in "".join(refs), html
                assets = [ref for ref in refs if ref != "data:,"]
                assert assets and all(ref.startswith(api_docs.ASSETS + "/") for ref in assets), refs
                for ref in assets:
                    asset = await http.get(ref)
                    assert asset.status_code == 200, (name, ref)
                    assert asset.content == api_docs.FILES[ref.rsplit("/", 1)[1]].read_bytes()
                    assert asset.headers["x-content-type-options"] == "nosniff"
                    assert asset.headers["content-type"].split(";")[0] in ("text/javascript", "text/css")
            assert (await http.get("/openapi.json")).status_code == 200


async def test_assets_are_a_fixed_list(apps: dict[str, FastAPI]) -> None:
    async with client(apps["policy"]) as http:
        for name in ("nope.js", "README.md", "LICENSE-redoc", "..%2Fapi_docs.py", "%2E%2E%2F%2E%2E%2Fauth.py"):
            response = await http.get(f"{api_docs.ASSETS}/{name}")
            assert response.status_code == 404, name  # matched: no_such_file; a decoded `/`: no route
            assert response.json()["detail"][0]["type"] in ("no_such_file", "http_404"), name


async def test_pages_behind_a_path_prefix_name_it(apps: dict[str, FastAPI]) -> None:
    """Behind a proxy that mounts the service under a prefix (ASGI root_path), the pages ask for
    the document and the assets under that prefix."""
    async with client(apps["reporting"], root_path="/hadir/reporting") as http:
        swagger = (await http.get("/docs")).text
        redoc = (await http.get("/redoc")).text
    assert 'data-openapi-url="/hadir/reporting/openapi.json"' in swagger
    assert 'src="/hadir/reporting/docs/assets/swagger-ui-bundle.js"' in swagger
    assert 'spec-url="/hadir/reporting/openapi.json"' in redoc


def test_vendored_files_are_listed_with_their_checksums() -> None:
    """The README of the vendored folder records what was copied; a changed file without a new
    checksum there fails (an update is deliberate, see the README)."""
    import hashlib

    readme = (api_docs.FOLDER / "README.md").read_text()
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        digest = hashlib.sha256((api_docs.FOLDER / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in readme, name
    for licence in ("LICENSE-swagger-ui", "NOTICE-swagger-ui", "LICENSE-redoc"):
        assert (api_docs.FOLDER / licence).stat().st_size > 0


def test_the_letter_people_fill_in_is_described_with_an_example(apps: dict[str, FastAPI]) -> None:
    """Every field of a circular letter and of its content says what it means in /docs (times are
    the tenant's local ones, working days are ISO weekdays), and the request's example is a letter
    the API accepts."""
    from services.policy.letter_schemas import PolicyIn

    doc = apps["policy"].openapi()
    schemas = doc["components"]["schemas"]
    for model in ("PolicyIn", "LetterContent"):
        undescribed = [name for name, prop in schemas[model]["properties"].items() if not prop.get("description")]
        assert undescribed == [], (model, undescribed)
    content = schemas["LetterContent"]["properties"]
    assert "local times" in content["windows"]["description"] and "WITA" in content["windows"]["description"]
    assert "1 Monday" in content["working_days"]["description"]
    (example,) = doc["paths"]["/v1/policies"]["post"]["requestBody"]["content"]["application/json"]["examples"].values()
    letter = PolicyIn.model_validate(example["value"])
    assert letter.content.windows and letter.content.working_days == [1, 2, 3, 4, 5]


UNDOCUMENTED_FIELDS: set[str] = set()  # "<Schema>.<property>" allowed without a description or example: none


def properties(doc: dict[str, Any], schema: dict[str, Any], owner: str, seen: set[str]) -> Iterator[tuple[str, dict]]:
    """Every property a request body can hold, through references, unions, lists and maps, each once:
    (``Schema.property``, its schema)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return
        seen.add(name)
        schema, owner = doc["components"]["schemas"][name], name
    for option in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        yield from properties(doc, option, owner, seen)
    for nested in (schema.get("items"), schema.get("additionalProperties")):
        if isinstance(nested, dict):
            yield from properties(doc, nested, owner, seen)
    for name, prop in schema.get("properties", {}).items():
        yield f"{owner}.{name}", prop
        yield from properties(doc, prop, owner, seen)


def test_every_field_people_fill_in_has_a_description_and_an_example(apps: dict[str, FastAPI]) -> None:
    """What /docs shows of a request body: each field (nested ones too) says what it means and shows
    an example, and every operation that takes a body shows an example request."""
    missing: list[str] = []
    bodies = 0
    for name, app in apps.items():
        doc = app.openapi()
        for path, method, operation in operations(doc):
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                bodies += 1
                if media_type == "application/json" and not (media.get("example") or media.get("examples")):
                    missing.append(f"{name} {method.upper()} {path}: no request example")
                for field, prop in properties(doc, media["schema"], f"{method.upper()} {path}", set()):
                    lacks = [k for k in ("description", "examples") if not prop.get(k)]
                    if lacks and field not in UNDOCUMENTED_FIELDS:
                        missing.append(f"{name} {method.upper()} {path}: {field} has no {' and no '.join(lacks)}")
    assert bodies > 30, bodies
    assert missing == [], "\n".join(sorted(set(missing)))


def test_every_request_example_is_one_the_api_accepts(apps: dict[str, FastAPI]) -> None:
    """The example /docs shows (declared, or composed of the fields' examples) passes the operation's
    body model: a reader can send it as it is."""
    from fastapi.routing import iter_route_contexts
    from pydantic import TypeAdapter, ValidationError

    checked, refused = 0, []
    for name, app in apps.items():
        doc = app.openapi()
        for route in iter_route_contexts(app.routes):
            body = getattr(route, "body_field", None)
            if body is None:
                continue
            for method in route.methods:
                media = doc["paths"][route.path][method.lower()]["requestBody"]["content"].get("application/json")
                if media is None:
                    continue
                examples = [media["example"]] if "example" in media else [
                    e["value"] for e in media.get("examples", {}).values()]
                assert examples, (name, method, route.path)
                for example in examples:
                    checked += 1
                    try:
                        TypeAdapter(body.field_info.annotation).validate_python(example)
                    except ValidationError as exc:
                        refused.append(f"{name} {method} {route.path}: {exc}")
    assert refused == [], "\n".join(refused)
    assert checked > 30, checked
