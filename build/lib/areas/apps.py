from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "areas"
    verbose_name = "行政区划"
