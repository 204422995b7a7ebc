from typing import Any

from django.core.management.base import BaseCommand, CommandError

from areas.models import Institution
from relief.models import Body
from relief.services import body_key_create, station_key_create


class Command(BaseCommand):
    help = (
        "为帮扶单位（--body 名称）或医疗机构服务站（--institution 定点医药机构编号）创建接口密钥；"
        "密钥只显示一次，系统只保存其摘要。帮扶单位的密钥只能读写转给本单位的转介，"
        "医疗机构的密钥只能报送本机构的大额费用预报。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--body", help="帮扶单位名称（系统管理 → 帮扶单位）")
        parser.add_argument("--institution", help="定点医药机构编号，如 H15010200001")
        parser.add_argument("--label", default="病贫共济服务站", help="医疗机构系统名称")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["body"]) == bool(options["institution"]):
            raise CommandError("请给出 --body 或 --institution 之一。")
        if options["body"]:
            body = Body.objects.filter(name=options["body"].strip(), active=True).first()
            if body is None:
                raise CommandError("没有这个启用中的帮扶单位。")
            key = body_key_create(body=body, actor=None)  # type: ignore[arg-type]
            self.stdout.write(f"密钥（请妥善交给{body.name}，此后不再显示；旧密钥已失效）：\n{key}")
            return
        institution = Institution.objects.filter(
            code=options["institution"].strip().upper()
        ).first()
        if institution is None:
            raise CommandError("定点医药机构名录中没有这个编号。")
        _station, key = station_key_create(
            institution=institution,
            label=options["label"].strip() or "病贫共济服务站",
            actor=None,  # type: ignore[arg-type]
        )
        self.stdout.write(f"密钥（请妥善交给{institution.name}，此后不再显示）：\n{key}")
