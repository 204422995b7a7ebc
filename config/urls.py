from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from applications.public_online import online
from applications.public_status import status, status_letter
from beneficiaries import urls as beneficiary_urls
from beneficiaries.views import identity_push, platform_push, platform_push_status
from portal import person, trail
from portal.views import healthz
from relief import api as relief_api

# Pages the shell composes from several floors keep the URL names of the app they belong to.
people = [
    *beneficiary_urls.urlpatterns,
    path("<int:pk>/", person.person_detail, name="person_detail"),
]
audit_trail = [path("", trail.search, name="search")]

admin.site.site_header = "医疗救助经办门户 · 系统管理"
admin.site.site_title = "医疗救助经办门户"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("", include("portal.urls")),
    path("healthz", healthz, name="healthz"),
    path("status/", status, name="status"),
    path("status/letters/<slug:kind>/", status_letter, name="status_letter"),
    path("status/online/", online, name="status_online"),
    path(
        "favicon.ico",
        RedirectView.as_view(url=f"{settings.STATIC_URL}portal/favicon.svg", permanent=True),
        name="favicon",
    ),
    path("accounts/", include("accounts.urls")),
    path("areas/", include("portal.landing_urls")),
    path("people/", include((people, "beneficiaries"))),
    path("applications/", include("applications.urls")),
    path("settlements/", include("payments.urls")),  # 结算与发放 (the payment desk)
    path("settlements/", include("settlements.urls")),  # the policies
    path("monitoring/", include("monitoring.urls")),
    path("relief/", include("relief.urls")),
    path("audit/", include((audit_trail, "audit"))),
    path("api/v1/identities", identity_push, name="api_identity_push"),
    path("api/v1/platform/settlements", platform_push, name="api_platform_push"),
    path("api/v1/platform/settlements/<int:pk>", platform_push_status, name="api_platform_status"),
    path("api/v1/handoffs", relief_api.handoffs, name="api_handoffs"),
    path(
        "api/v1/handoffs/<str:number>/answer", relief_api.handoff_answer, name="api_handoff_answer"
    ),
    path("api/v1/early-reports", relief_api.early_reports, name="api_early_reports"),
    path("admin/", admin.site.urls),
]
