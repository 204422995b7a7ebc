"""Form fields every app uses: yuan through the one amount parser, dates that can be real."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from engine.money import MAX_YUAN, AmountError, parse_yuan


class YuanField(forms.CharField):
    """Yuan to the fen (``engine.money.parse_yuan``): ``1200`` or ``1200.50``, nothing else.

    A text input with the decimal keypad on phones; the cleaned value is ``Decimal``."""

    def __init__(self, *, maximum: Decimal = MAX_YUAN, **kwargs: Any) -> None:
        self.maximum = maximum
        for name in ("max_digits", "decimal_places", "max_value", "min_value", "step_size"):
            kwargs.pop(name, None)  # a model DecimalField's form arguments: the parser decides
        super().__init__(**kwargs)
        self.widget.attrs.update(inputmode="decimal", autocomplete="off", maxlength="15")

    def prepare_value(self, value: Any) -> Any:
        return f"{value:.2f}" if isinstance(value, Decimal) else value

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_yuan(text, "", maximum=self.maximum)
        except AmountError as exc:
            raise ValidationError(str(exc), code="amount") from None

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            before = None if initial in self.empty_values else Decimal(str(initial))
            return self.to_python(data) != before
        except (ValidationError, ArithmeticError):
            return True


def errors_text(form: forms.Form) -> str:
    """Every error of a bound form, in one line for a message (the field errors are in Chinese)."""
    return "；".join(str(e) for errs in form.errors.values() for e in errs)


def check_real_date(value: date | None, *, label: str, earliest: date | None) -> None:
    """A date a bill or an event can really have: not in the future, not before ``earliest``."""
    if value is None:
        return
    today = timezone.localdate()
    if value > today:
        raise ValidationError(f"{label}{value:%Y-%m-%d} 晚于今天，请核对。", code="future")
    if earliest is not None and value < earliest:
        raise ValidationError(
            f"{label}{value:%Y-%m-%d} 早于救助政策施行日期 {earliest:%Y-%m-%d}，请核对。",
            code="too_early",
        )


def plain_text(value: str | None) -> str:
    """A free text a view takes from the request without a form, stripped; refused when it holds
    a control character (PostgreSQL cannot store NUL; none belongs in a note)."""
    text = (value or "").strip()
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise ValidationError("输入中含有无法保存的控制字符，请删除后重新输入。", code="control")
    return text
