from django.urls import path

from . import transfer_views, views

app_name = "payments"

urlpatterns = [
    path("", views.index, name="index"),
    path("batches/new/", views.batch_create, name="batch_create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/export/", views.batch_export, name="batch_export"),
    path("batches/<int:pk>/return/", views.batch_return, name="batch_return"),
    path(
        "batches/<int:pk>/return-template/",
        views.batch_return_template,
        name="batch_return_template",
    ),
    path("batches/<int:pk>/list.pdf", views.batch_pdf, name="batch_pdf"),
    path("payments/<int:pk>/record/", views.payment_record, name="payment_record"),
    path("payee/<str:number>/", views.account_change_propose, name="payee_correct"),
    path("accounts/<int:pk>/decide/", views.account_change_decide, name="account_change_decide"),
    path("recoveries/new/<str:number>/", views.recovery_propose, name="recovery_propose"),
    path("recoveries/<int:pk>/decide/", views.recovery_decide, name="recovery_decide"),
    path("recoveries/<int:pk>/refund/", views.recovery_refund, name="recovery_refund"),
    path("transfers/", transfer_views.transfer_list, name="transfers"),
    path("transfers/new/", transfer_views.transfer_prepare, name="transfer_prepare"),
    path("transfers/<int:pk>/decide/", transfer_views.transfer_decide, name="transfer_decide"),
    path("transfers/<int:pk>/list.pdf", transfer_views.transfer_pdf, name="transfer_pdf"),
]
