from django.urls import path

from . import views

app_name = "portfolio"
urlpatterns = [
    path("", views.my_portfolio, name="mine"),
    path("portfolio.json", views.export_json, name="export_json"),
    path("portfolio.pdf", views.export_pdf, name="export_pdf"),
    path("shares/new/", views.share_new, name="share_new"),
    path("shares/<int:share_id>/withdraw/", views.share_withdraw_view, name="share_withdraw"),
    path("children/", views.children_shares_view, name="children"),
    path("shared/<str:share_token>/", views.shared, name="shared"),
]
