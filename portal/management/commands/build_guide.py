from typing import Any

from django.core.management.base import BaseCommand

from portal import help


class Command(BaseCommand):
    help = "生成操作手册（docs/guide → HELP_DIR），门户的“帮助”从这里打开。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--strict", action="store_true", help="警告即失败（测试与 CI 用）")

    def handle(self, *args: Any, **options: Any) -> None:
        target = help.build(strict=options["strict"])
        self.stdout.write(self.style.SUCCESS(f"操作手册已生成：{target}/index.html"))
