from django.urls import path

from . import agenda_views, views

app_name = "monitoring"

urlpatterns = [
    path("warnings/", views.warning_list, name="warning_list"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning_detail"),
    path("warnings/<int:pk>/apply/", views.warning_apply, name="warning_apply"),
    path("warnings/<int:pk>/contact/", views.warning_contact, name="warning_contact"),
    path("warnings/<int:pk>/close/", views.warning_close, name="warning_close"),
    path("warnings/<int:pk>/handoff/", agenda_views.warning_handoff, name="warning_handoff"),
    path("agendas/", agenda_views.agenda_list, name="agenda_list"),
    path("agendas/new/", agenda_views.agenda_build, name="agenda_build"),
    path("agendas/<int:pk>/", agenda_views.agenda_detail, name="agenda_detail"),
    path("agendas/<int:pk>.pdf", agenda_views.agenda_pdf, name="agenda_pdf"),
    path("agendas/items/<int:pk>/outcome/", agenda_views.agenda_outcome, name="agenda_outcome"),
    path("overview/", views.overview, name="overview"),
    path("overview/recompute/", views.overview_recompute, name="overview_recompute"),
    path("overview/<slug:key>.<str:fmt>", views.overview_download, name="overview_download"),
    path("monthly/", views.monthly_list, name="monthly_list"),
    path("monthly/new/", views.monthly_generate, name="monthly_generate"),
    path("monthly/<int:pk>/", views.monthly_detail, name="monthly_detail"),
    path("monthly/<int:pk>.<str:fmt>", views.monthly_download, name="monthly_download"),
]
