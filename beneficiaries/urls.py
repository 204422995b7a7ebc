from django.urls import path

from . import referral_views, views

app_name = "beneficiaries"

urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("<int:pk>/death/", views.person_death, name="person_death"),
    path("<int:pk>/referrals/", referral_views.referral_add, name="referral_add"),
    path("referrals/<int:pk>/cancel/", referral_views.referral_cancel, name="referral_cancel"),
    path("referrals/import/", referral_views.referral_import, name="referral_import"),
    path("changes/", views.change_list, name="change_list"),
    path("changes/<int:pk>/decide/", views.change_decide, name="change_decide"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/sample.<str:fmt>", views.import_sample, name="import_sample"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/apply/", views.import_apply, name="import_apply"),
    path("imports/<int:pk>/retry/", views.import_retry, name="import_retry"),
]
