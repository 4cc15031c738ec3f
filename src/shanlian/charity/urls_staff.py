"""Staff pages, mounted at /charity/ (the compliance dashboard is /charity/compliance/, its own module)."""

from django.urls import path

from . import views_staff as v

app_name = "charity"
urlpatterns = [
    path("funds/", v.fund_list, name="fund_list"),
    path("funds/<slug:code>/", v.fund_detail, name="fund_detail"),
    path("funds/<slug:code>/statement.csv", v.fund_statement_csv, name="fund_statement_csv"),
    path("funds/<slug:code>/gifts/new/", v.gift_create, name="gift_create"),
    path("funds/<slug:code>/goods/out/", v.goods_out, name="goods_out"),
    path("funds/<slug:code>/payouts/new/", v.payout_create, name="payout_create"),
    path("payouts/", v.payout_list, name="payout_list"),
    path("payouts/<id:payout_id>/", v.payout_detail, name="payout_detail"),
    path("payouts/<id:payout_id>/approve/", v.payout_approve, name="payout_approve"),
    path("payouts/<id:payout_id>/reject/", v.payout_reject, name="payout_reject"),
    path("payouts/<id:payout_id>/pay/", v.payout_pay, name="payout_pay"),
    path("payouts/<id:payout_id>/attachments/<id:attachment_id>/", v.payout_attachment, name="payout_attachment"),
    path("gifts/", v.gift_list, name="gift_list"),
    path("gifts/<id:donation_id>/", v.gift_detail, name="gift_detail"),
    path("gifts/<id:donation_id>/receipt/", v.gift_receipt_issue, name="gift_receipt_issue"),
    path("gifts/<id:donation_id>/refund/", v.gift_refund, name="gift_refund"),
    path("receipts/", v.receipt_list, name="receipt_list"),
    path("receipts/<id:receipt_id>.pdf", v.receipt_pdf, name="receipt_pdf"),
    path("receipts/<id:receipt_id>/void/", v.receipt_void, name="receipt_void"),
]
