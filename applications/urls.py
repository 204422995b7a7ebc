from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("new/person/<int:pk>/", views.new_for_person, name="new_for_person"),
    path("inbox/", views.inbox, name="inbox"),
    path("notices/", views.notices, name="notices"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox_read"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("online-files/<int:pk>/", views.online_file, name="online_file"),
    path("illness-checks/", views.illness_list, name="illness_list"),
    path("illness-checks/pdf/", views.illness_list_pdf, name="illness_list_pdf"),
    path("tilted/", views.tilted_list, name="tilted_list"),
    path("tilted/<int:pk>/open/", views.tilted_open, name="tilted_open"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/edit/", views.edit, name="edit"),
    path("<str:number>/accept/", views.accept, name="accept"),
    path("<str:number>/told/", views.told, name="told"),
    path("<str:number>/identity/", views.identity_decide, name="identity_decide"),
    path("<str:number>/certificate/", views.certificate_record, name="certificate_record"),
    path("<str:number>/illness-check/", views.illness_check, name="illness_check"),
    path("<str:number>/letters/<slug:kind>/", views.letter, name="letter"),
    path("<str:number>/actions/<slug:action>/", views.transition, name="transition"),
    path("<str:number>/recommend/", views.recommend, name="recommend"),
    path("<str:number>/approve/", views.approve, name="approve"),
    path("<str:number>/expenses/<int:pk>/correct/", views.expense_correct, name="expense_correct"),
    path("<str:number>/reject/", views.reject, name="reject"),
    path("<str:number>/revoke/", views.revoke, name="revoke"),
    path("<str:number>/promise/extend/", views.promise_extend, name="promise_extend"),
    path("<str:number>/materials/<slug:code>/receive/", views.receive, name="receive"),
    path("<str:number>/materials/<slug:code>/upload/", views.upload, name="upload"),
    path("<str:number>/online/<slug:code>/accept/", views.online_accept, name="online_accept"),
    path("<str:number>/online/<slug:code>/refuse/", views.online_refuse, name="online_refuse"),
]
