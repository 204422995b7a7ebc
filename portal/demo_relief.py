"""The demo's 梯次减负 (``manage.py seed_demo``): the city's other bodies and a hospital's early report."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from areas.models import City, Institution
from beneficiaries.idnumber import check_digit
from relief.early import early_reports_receive
from relief.models import Body


def seed_relief(city: City) -> int:
    """梯次减负: the city's other bodies (data the administrator keeps), and one hospital's early
    report of an inpatient of 察素齐镇 (孟和), for the township to follow."""
    if Body.objects.filter(city=city).exists():
        return 0
    bodies = [
        ("市民政局（临时救助）", "temporary", "民政局社会救助科 0471-6600001", 5),
        ("市卫生健康委（疾病应急救助）", "emergency", "医政医管科 0471-6600002", 10),
        ("市慈善总会", "charity", "救助部 0471-6600003", 10),
        ("市红十字会", "red_cross", "赈济救护部 0471-6600004", 10),
        ("市残疾人联合会", "disabled", "康复部 0471-6600005", 10),
        ("市总工会（困难职工帮扶）", "union", "帮扶中心 0471-6600006", 10),
    ]
    for name, kind, contact, days in bodies:
        Body.objects.create(city=city, name=name, kind=kind, contact=contact, answer_days=days)
    hospital = Institution.objects.filter(code="H15012100021").first()
    if hospital is not None:
        meng = "15012119620303003"
        early_reports_receive(
            institution=hospital,
            rows=[{"ipt_no": "ZY-DEMO-001", "psn_name": "孟和",
                   "certno": meng + check_digit(meng),
                   "begntime": str(timezone.localdate() - timedelta(days=3)),
                   "expt_sumfee": "86000.00", "adm_diag_dscr": "急性心肌梗死，拟行冠脉搭桥术",
                   "adm_dept_name": "心内科", "adm_bed": "7床"}],
            actor=None,
            via_key=True,
        )  # fmt: skip
    return len(bodies) + 1
