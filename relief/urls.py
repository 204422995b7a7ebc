from django.urls import path

from . import views

app_name = "relief"

urlpatterns = [
    path("handoffs/", views.handoff_list, name="handoff_list"),
    path("handoffs/<int:pk>/", views.handoff_detail, name="handoff_detail"),
    path("handoffs/<int:pk>/answer/", views.handoff_answer, name="handoff_answer"),
    path("handoffs/<int:pk>/withdraw/", views.handoff_withdraw, name="handoff_withdraw"),
    path("handoffs/<int:pk>/letter.pdf", views.handoff_letter, name="handoff_letter"),
    path("cases/<str:number>/handoff/", views.handoff_new, name="handoff_new"),
    path("cases/<str:number>/special/", views.special_new, name="special_new"),
    path("special/<int:pk>/decide/", views.special_decide, name="special_decide"),
    path("special/<int:pk>/letter.pdf", views.special_letter, name="special_letter"),
    path("early/", views.early_list, name="early_list"),
    path("early/<int:pk>/contact/", views.early_contact, name="early_contact"),
    path("early/upload/", views.early_upload, name="early_upload"),
]
