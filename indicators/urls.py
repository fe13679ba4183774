from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("indicateurs/", views.dashboard, name="dashboard"),
    path("indicateurs/actualiser/", views.refresh, name="refresh"),
    path("indicateurs/export.xlsx", views.export_xlsx, name="xlsx"),
    path("indicateurs/export/<slug:slug>.csv", views.export_csv, name="csv"),
]
