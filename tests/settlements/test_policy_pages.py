"""The policy pages: readable parameters with dates and sources; the administrator's new version."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from settlements.models import PolicyVersion
from settlements.policies import load

URL = reverse("settlements:policy_version_new", args=["hohhot-2023"])


def form_data(**changes) -> dict:
    """The form as the administrator receives it (prefilled), with ``changes`` typed in."""
    from settlements.forms import PolicyVersionForm

    form = PolicyVersionForm(policy=load("hohhot-2023"), today=date(2026, 1, 1))
    data = {}
    for name, field in form.fields.items():
        value = field.initial
        data[name] = "" if value is None else value
    data.update(
        effective_from="2026-01-01",
        source="呼医保发〔2026〕1号 第二条",
        decided_by="呼和浩特市医疗保障局",
        reason="",
    )
    data.update(changes)
    return data


def test_reviewer_reads_the_policy_with_values_sources_and_unset_warnings(client, world):
    client.force_login(world.users["reviewer"])
    page = client.get(reverse("settlements:policy_detail", args=["hohhot-2023"])).content.decode()
    assert "呼和浩特市医疗救助（2023 年起）" in page
    assert "救助比例：低保对象" in page and "assistance.ratio.dibao" in page
    assert (
        '2023-01-01 起：70% <span class="badge text-bg-success">政策条款</span> '
        '<span class="text-body-secondary">· 呼和浩特实施方案 四(三)'
    ) in page
    # a local setting says so, and who decided it; the clause texts cited are printed
    assert (
        '<span class="badge text-bg-warning">本地设定</span> <span class="text-body-secondary">'
        "· 本地设定：方案 四(三) 未列其他特殊困难人员的限额，取较低一档 5 万元 · 决定：随系统发布的默认值"
    ) in page
    assert "低保对象按照不低于70%比例救助" in page
    assert "未设置：用到时结算会提示" in page  # city_income ships without a value
    assert "新增版本（调整参数）" not in page  # only the administrator adds versions


def test_admin_adds_a_version_and_only_the_changed_values_are_stored(client, world):
    admin = world.users["admin"]
    client.force_login(admin)
    response = client.post(
        URL, form_data(**{"p__assistance.ratio.dibao": "75%", "p__city_income": "52000.00"})
    )
    assert response.status_code == 302
    version = PolicyVersion.objects.get()
    assert (version.number, version.effective_from, version.created_by) == (
        2,
        date(2026, 1, 1),
        admin,
    )
    assert version.values == {"city_income": "52000.00", "assistance.ratio.dibao": "0.75"}
    assert (version.basis, version.decided_by) == ("local", "呼和浩特市医疗保障局")
    policy = load("hohhot-2023")
    assert policy.version == 2
    assert (
        policy.at(date(2025, 12, 31))["assistance.ratio.dibao"]
        == policy.at(date(2023, 1, 1))["assistance.ratio.dibao"]
    )
    assert str(policy.at(date(2026, 1, 1))["assistance.ratio.dibao"]) == "0.75"
    event = AuditEvent.objects.get(target_type="settlements.policyversion")
    assert event.changes["city_income"] == ["未设置", "52,000.00 元"]
    page = client.get(reverse("settlements:policy_detail", args=["hohhot-2023"])).content.decode()
    assert (
        "第 2 版：2026-01-01 起，本地设定：呼医保发〔2026〕1号 第二条（决定：呼和浩特市医疗保障局）"
        in page
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"p__assistance.ratio.dibao": "170%"}, "必须在 0 到 1（0% 到 100%）之间"),
        ({"p__tilted.cap": "三万"}, "“三万”不是有效金额"),
        ({"p__tilted.cap": "-1"}, "不能为负数"),
        ({"p__tilted.cap": "9" * 40}, "过大，不能超过 999,999,999.99 元"),
        ({"p__assistance.ratio.dibao": "9" * 40 + "%"}, "不是比例"),
        ({"effective_from": "2026-02-30"}, "核对这一天确实存在"),
        ({}, "没有改动任何参数"),
        ({"effective_from": "2020-01-01", "p__tilted.cap": "1.00"}, "不能早于政策施行日期"),
    ],
)
def test_bad_versions_get_a_chinese_message_and_change_nothing(client, world, changes, message):
    client.force_login(world.users["admin"])
    response = client.post(URL, form_data(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PolicyVersion.objects.exists()
    assert load("hohhot-2023").version == 1


def test_approver_cannot_post_a_version(client, world):
    client.force_login(world.users["approver"])
    response = client.post(URL, form_data(**{"p__tilted.cap": "40000.00"}))
    assert response.status_code == 403
    assert not PolicyVersion.objects.exists()


def test_a_local_setting_says_who_decided_it(client, world):
    client.force_login(world.users["admin"])
    data = form_data(**{"p__tilted.cap": "40000.00", "decided_by": ""})
    page = client.post(URL, data).content.decode()
    assert "本地设定须写明决定机关（如“市医保局”），以便日后查证。" in page
    assert not PolicyVersion.objects.exists()
    data.update(basis="national", source="社会救助暂行办法 第二十八条")  # a national regulation
    assert client.post(URL, data).status_code == 302
    version = PolicyVersion.objects.get()
    assert (version.basis, version.decided_by) == ("national", "")
    assert load("hohhot-2023").at(date(2026, 1, 1)).basis("tilted.cap") == "national"
