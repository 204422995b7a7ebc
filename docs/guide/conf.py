"""The user guide (操作手册), built with Sphinx + MyST into var/help and served by the portal under
/help/ (portal/help.py): offline, no CDN. `python manage.py build_guide` builds it."""

project = "医疗救助经办门户 操作手册"
author = "医疗救助经办门户"
copyright = "医疗救助经办门户"
language = "zh_CN"
extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_templates"]
myst_enable_extensions = ["colon_fence"]
html_theme = "alabaster"
html_title = "医疗救助经办门户 · 操作手册"
html_show_sourcelink = False
html_copy_source = False
html_show_sphinx = False
html_last_updated_fmt = None
html_theme_options = {
    "description": "窗口经办人 · 县级审核/审批 · 财务 · 管理员 · 申请人",
    "page_width": "1100px",
    "sidebar_width": "220px",
    "font_family": '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    "head_font_family": '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    "show_powered_by": False,
}
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["guide.css"]  # the theme's grey footer and captions darkened to WCAG AA
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
