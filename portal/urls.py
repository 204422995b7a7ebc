from django.urls import path

from . import help, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/relay/", views.jobs_relay, name="jobs_relay"),
    path("help/", help.serve, name="help_index"),
    path("help/<path:path>", help.serve, name="help"),
]
