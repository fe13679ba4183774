"""The indicators' JSON API: token authentication, the reader's scope, secrecy, schema."""

import pytest
from django.core.management import call_command

from cotraining.constants import Role
from cotraining.services import grant_role
from indicators.tokens import create_api_token, revoke_api_token
from tests.factories import UserFactory, academie

from .test_indicators import _frozen, _world_for_the_module, reader, world  # noqa: F401 — shared fixtures

API = "/api/indicateurs/"


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def token(world):  # noqa: F811
    return create_api_token(user=reader(academie=academie("13")), name="Tableau de bord")[1]


def figure(body, group, label):
    found = next(g for g in body["groups"] if g["slug"] == group)
    return next(f for f in found["figures"] if f["label"] == label)


def test_no_token_no_figures(world, client):  # noqa: F811
    assert client.get(API).status_code == 401
    assert client.get(API, **bearer("ind_nimportequoi")).status_code == 401


def test_the_readers_figures_with_the_secrecy_rule(token, client):
    response = client.get(API, **bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert body["period_start"] == "2026-09-01" and body["secrecy_threshold"] == 5
    assert figure(body, "pix", "Certifications PIX")["value"] == 6  # not Paris' seventh
    assert figure(body, "badges", "Formateurs reconnus")["value"] == "< 5"
    table = client.get(f"{API}tables/badges-par-badge", **bearer(token)).json()
    assert table["rows"][1] == ["Formateur", "DANE de l'académie de Poitiers", "< 5", 0, "< 5"]
    assert client.get(f"{API}tables/inconnue", **bearer(token)).status_code == 404


def test_filtering_into_another_academie_gives_nothing(token, client):
    body = client.get(API, {"academie": "01"}, **bearer(token)).json()
    assert figure(body, "pix", "Certifications PIX")["value"] == 0


def test_a_revoked_token_or_a_lost_role_closes_the_api(world, client):  # noqa: F811
    user = reader(academie=academie("13"))
    row, key = create_api_token(user=user, name="BI")
    assert client.get(API, **bearer(key)).status_code == 200
    user.role_assignments.all().delete()
    assert client.get(API, **bearer(key)).status_code == 401
    grant_role(user=user, role=Role.INDICATOR_READER, academie=academie("13"))
    revoke_api_token(token=row)
    assert client.get(API, **bearer(key)).status_code == 401


def test_openapi_schema(world, client):  # noqa: F811
    schema = client.get(f"{API}openapi.json").json()
    assert schema["info"]["title"] == "Entrepairs — indicateurs"
    assert {"/api/indicateurs/", "/api/indicateurs/tables/{slug}"} <= set(schema["paths"])
    schemes = schema["components"]["securitySchemes"]
    assert [scheme["scheme"] for scheme in schemes.values()] == ["bearer"]
    parameters = {p["name"] for p in schema["paths"]["/api/indicateurs/"]["get"]["parameters"]}
    assert {"academie", "departement", "degree", "date_from"} <= parameters


def test_token_command(world, capsys):  # noqa: F811
    user = reader(academie=academie("13"))
    call_command("indicator_api_token", email=user.email, name="Metabase")
    key = capsys.readouterr().out.strip()
    assert key.startswith("ind_")
    teacher = UserFactory()
    with pytest.raises(Exception, match="ne lit aucun indicateur"):
        call_command("indicator_api_token", email=teacher.email)
