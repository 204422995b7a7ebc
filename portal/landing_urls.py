"""The area pages (``areas:township`` …), served by the shell: see ``portal/landing.py``."""

from django.urls import path

from . import landing as views

app_name = "areas"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("townships/<int:pk>/", views.township, name="township"),
    path("counties/<int:pk>/", views.county, name="county"),
]
