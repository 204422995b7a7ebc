import json
from datetime import date

import pytest

from beneficiaries import services
from beneficiaries.models import HardshipIdentity, IdentityImport, Person
from tests.beneficiaries.conftest import idn

URL = "/api/v1/identities"
A = idn("15012119580312002")


@pytest.fixture
def key(world):
    _token, key = services.department_token_create(
        department="乡村振兴", label="乡村振兴监测系统", actor=None
    )
    return key


def push(client, body, key=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **headers, **extra)


def test_without_a_token_is_refused_and_nothing_changes(world, client):
    response = push(client, {"records": [{"id_number": A}]})
    assert response.status_code == 401
    assert response.json() == {"error": "缺少或无效的推送密钥（Authorization: Bearer <密钥>）。"}
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert IdentityImport.objects.count() == 0


def test_a_wrong_or_disabled_token_is_refused(world, client, key):
    assert push(client, {"records": [{}]}, key="not-the-key").status_code == 401
    services.department_token_for(key).__class__.objects.update(active=False)
    assert push(client, {"records": [{}]}, key=key).status_code == 401


def test_a_signed_in_session_is_not_a_token(world, client):
    client.force_login(world.users["admin"])
    assert push(client, {"records": [{}]}).status_code == 401


def test_records_are_answered_one_by_one(world, client, key):
    body = {
        "records": [
            {
                "id_number": A,
                "name": "乌兰其其格",
                "category": "rural_at_risk",
                "certified_on": "2023-02-01",
                "township": "150121100",
                "phone": "13904710001",
            },
            {
                "id_number": "150121195803120021",
                "name": "甲",
                "category": "returned_poor",
                "certified_on": "2023-01-01",
                "township": "150121100",
            },
            {
                "id_number": A,
                "name": "乌兰其其格",
                "category": "rural_at_risk",
                "certified_on": "2023-02-01",
                "ended_on": "2023-12-31",
                "township": "150121100",
            },
            "not an object",
        ]
    }
    response = push(client, body, key=key)
    assert response.status_code == 200
    data = response.json()
    assert data["summary"] == {"created": 1, "updated": 1, "unchanged": 0, "refused": 2}
    first, bad, update, junk = data["results"]
    assert (first["index"], first["status"], first["id_number"]) == (
        0,
        "created",
        "1501**********0026",
    )
    assert (bad["status"], bad["errors"]) == (
        "refused",
        ["身份证号码校验位不正确，请核对后重新输入。"],
    )
    assert update["status"] == "updated"
    assert update["changes"] == [
        "纳入监测范围的农村易返贫致贫人口（认定日期 2023-02-01）终止日期：无 → 2023-12-31"
    ]
    assert junk["status"] == "refused" and "公民身份号码为空。" in junk["errors"]
    ident = HardshipIdentity.objects.get()
    assert (ident.ended_on, ident.source, ident.department) == (
        date(2023, 12, 31),
        "api",
        "乡村振兴",
    )
    batch = IdentityImport.objects.get()
    assert (batch.kind, batch.status, batch.total_rows, batch.bad_rows) == ("api", "applied", 4, 2)
    assert Person.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ("{not json", 400, "请求体不是有效的 UTF-8 JSON。"),
        (b'{"records": ["\xff\xfe"]}', 400, "请求体不是有效的 UTF-8 JSON。"),
        ("[" * 100_000 + "]" * 100_000, 400, "请求体不是有效的 UTF-8 JSON。"),
        ({"rows": []}, 400, '请求体应为 {"records": [...]}，且至少包含一条记录。'),
        ({"records": [{}] * 1001}, 413, "每次最多推送 1000 条记录，本次为 1001 条。"),
    ],
)
def test_malformed_pushes_are_refused_with_a_reason(world, client, key, body, status, error):
    response = push(client, body, key=key)
    assert response.status_code == status
    assert response.json() == {"error": error}
    assert IdentityImport.objects.count() == 0


def test_an_oversized_body_gets_a_json_answer_and_changes_nothing(world, client, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = json.dumps({"records": [{"name": "x" * 1000}] * 1100})
    response = push(client, body, key=key)
    assert response.status_code == 413
    assert response.json() == {"error": "请求体过大（超过 1 MB）。每次最多推送 1000 条记录。"}
    assert IdentityImport.objects.count() == 0


def test_a_body_that_is_not_json_by_its_type_is_refused(world, client, key):
    response = client.post(
        URL, data="records=1", content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 415
    assert response.json() == {"error": "请求体应为 JSON（Content-Type: application/json）。"}
    assert IdentityImport.objects.count() == 0


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405
