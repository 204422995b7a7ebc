"""Readiness before money moves (issue 36, point 3): the administrator sees every parameter the rules
need that is unset, missing for a county, or still a demo value, before the first approval."""

from datetime import date

from django.urls import reverse

from engine import MissingParameter
from settlements.policies import load
from settlements.readiness import readiness
from settlements.services import policy_version_create


def _gaps(world, year=2026):
    counties = [(c.code, c.name) for c in (world.county_a, world.county_b)]
    return {g.name: g.problem for g in readiness(load("hohhot-2023"), year, counties)}


def test_unset_parameters_are_listed_and_the_engine_refuses_rather_than_count_zero(world):
    gaps = _gaps(world)
    for name in ("city_income", "rural_income", "subsidy.contribution",
                 "illness_poor.dibao_standard.urban"):  # fmt: skip
        assert gaps[name] == "2026-01-01 起没有适用的值", name
    assert "assistance.ratio.dibao" not in gaps  # the seed sets it
    assert "intake.filing_months" not in gaps  # nullable: 不限 is an answer
    params = load("hohhot-2023").at(date(2026, 1, 1))
    try:
        params["city_income"]
    except MissingParameter as exc:
        assert "city_income" in str(exc)
    else:  # pragma: no cover - the refusal is the point
        raise AssertionError("an unset income was read as a value")


def test_a_demo_value_and_a_county_left_out_are_gaps_until_set_for_real(world):
    admin = world.users["admin"]
    policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2023, 1, 1),
        values={
            "city_income": "50000.00",
            "illness_poor.dibao_standard.urban": {world.county_a.code: "9600.00"},
        },
        source="演示数据（正式使用前请按统计公报设置）",
        actor=admin,
    )
    gaps = _gaps(world)
    assert (
        gaps["city_income"]
        == "仍是演示数据（依据一栏写的是“演示数据（正式使用前请按统计公报设置）”）"
    )
    assert gaps["illness_poor.dibao_standard.urban"] == (
        f"缺少：{world.county_b.name}；仍是演示数据（依据一栏写的是“演示数据（正式使用前请按统计公报设置）”）"
    )
    policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2026, 1, 1),
        values={
            "city_income": "52000.00",
            "illness_poor.dibao_standard.urban": {
                world.county_a.code: "9600.00",
                world.county_b.code: "9300.00",
            },
        },
        source="2025 年统计公报；民政局 2026 年低保标准通知",
        actor=admin,
    )
    gaps = _gaps(world)
    assert "city_income" not in gaps and "illness_poor.dibao_standard.urban" not in gaps
    assert _gaps(world, 2025)["city_income"].startswith("仍是演示数据")  # the year matters


def test_the_page_lists_the_gaps_for_the_year_asked(client, world):
    client.force_login(world.users["admin"])
    url = reverse("settlements:policy_readiness", args=["hohhot-2023"])
    page = client.get(url, {"year": "2026"}).content.decode()
    assert "启用前检查：2026 年" in page
    assert "上年全体居民人均可支配收入" in page and "2026-01-01 起没有适用的值" in page
    assert client.get(url, {"year": "不是年份"}).status_code == 200  # a bad year: this year
    detail = client.get(reverse("settlements:policy_detail", args=["hohhot-2023"])).content.decode()
    assert url in detail


def test_local_settings_still_at_their_shipped_defaults_are_listed_until_the_city_decides(
    world, client
):
    from settlements.readiness import shipped_defaults

    names = {d.name for d in shipped_defaults(load("hohhot-2023"), 2026)}
    assert {"assistance.cap.other", "assistance.outpatient.ratio.dibao", "notice.days"} <= names
    assert "assistance.ratio.dibao" not in names  # the seed's, not a local default
    policy_version_create(
        policy_code="hohhot-2023",
        effective_from=date(2026, 1, 1),
        values={"assistance.cap.other": "60000.00"},
        source="呼医保发〔2026〕3号",
        decided_by="呼和浩特市医疗保障局",
        actor=world.users["admin"],
    )
    names = {d.name for d in shipped_defaults(load("hohhot-2023"), 2026)}
    assert "assistance.cap.other" not in names  # decided: no longer a default
    client.force_login(world.users["admin"])
    page = client.get(
        reverse("settlements:policy_readiness", args=["hohhot-2023"]) + "?year=2026"
    ).content.decode()
    assert "待确认的本地设定" in page and "assistance.outpatient.ratio.dibao" in page
