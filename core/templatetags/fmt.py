"""Template filters for the one amount and date format (``core.formats``); a builtin, no load."""

from django import template

from core import formats

register = template.Library()
register.filter("yuan", formats.yuan)
register.filter("day", formats.day)
register.filter("moment", formats.moment)
register.filter("cell", formats.cell)
register.filter("sentence", formats.sentence)
