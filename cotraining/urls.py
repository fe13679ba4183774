from django.urls import path

from . import views

app_name = "cotraining"

urlpatterns = [
    path("profil/", views.profile, name="profile"),
]
