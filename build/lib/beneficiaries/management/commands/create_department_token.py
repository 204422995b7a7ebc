from typing import Any

from django.core.management.base import BaseCommand, CommandError

from beneficiaries.models import Department
from beneficiaries.services import department_token_create


class Command(BaseCommand):
    help = "为部门系统创建身份数据推送密钥（只显示一次，系统只保存其摘要）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--department",
            required=True,
            choices=Department.values,
            help="民政、乡村振兴、残联、医保、其他",
        )
        parser.add_argument("--label", required=True, help="系统名称，如 呼和浩特市民政救助系统")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["label"].strip():
            raise CommandError("系统名称不能为空。")
        token, key = department_token_create(
            department=options["department"], label=options["label"], actor=None
        )
        self.stdout.write(f"密钥（请妥善交给 {token.label}，此后不再显示）：\n{key}")
