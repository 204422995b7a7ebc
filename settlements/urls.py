from django.urls import path

from . import views

app_name = "settlements"

urlpatterns = [
    path("policies/", views.policy_list, name="policy_list"),
    path("subsidy/", views.roster, name="roster"),
    path("subsidy/build/", views.roster_build, name="roster_build"),
    path("subsidy/export/", views.roster_export, name="roster_export"),
    path("subsidy/result/", views.roster_result, name="roster_result"),
    path("subsidy/not-enrolled/", views.roster_followup, name="roster_followup"),
    path("books/", views.books, name="books"),
    path("books/statement.pdf", views.books_pdf, name="books_pdf"),
    path("policies/<slug:code>/", views.policy_detail, name="policy_detail"),
    path("policies/<slug:code>/readiness/", views.policy_readiness, name="policy_readiness"),
    path("policies/<slug:code>/versions/new/", views.policy_version_new, name="policy_version_new"),
]
