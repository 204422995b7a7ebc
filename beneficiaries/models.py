"""People in the registry. The registry's full model (households, hardship identities, imports)
grows here in the beneficiary-registry issue; the foundation needs the person and their township
for scoping and the access log."""

from django.db import models
from simple_history.models import HistoricalRecords

from .idnumber import mask, validate_id_number


class Person(models.Model):
    id_number = models.CharField(
        "公民身份号码", max_length=18, unique=True, validators=[validate_id_number]
    )
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    township = models.ForeignKey(
        "areas.Township",
        verbose_name="居住乡镇（街道）",
        on_delete=models.PROTECT,
        related_name="people",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = "救助对象"
        verbose_name_plural = "救助对象"
        ordering = ["township_id", "name", "id"]
        indexes = [models.Index(fields=["township", "name", "id"], name="person_township_name_idx")]

    def __str__(self) -> str:
        return f"{self.name}（{self.masked_id_number}）"

    @property
    def masked_id_number(self) -> str:
        return mask(self.id_number)
