from django.urls import path

from . import views

app_name = "communities"

urlpatterns = [
    path("", views.community_list, name="list"),
    path("<int:pk>/", views.community_detail, name="detail"),
    path("<int:pk>/rejoindre/", views.join, name="join"),
    path("<int:pk>/quitter/", views.leave, name="leave"),
    path("<int:pk>/preferences/", views.preferences, name="preferences"),
    path("<int:pk>/membres/", views.members, name="members"),
    path("<int:pk>/question/", views.ask, name="ask"),
    path("<int:pk>/remonter/", views.escalate, name="escalate"),
    path("questions/<int:pk>/", views.question_detail, name="question"),
    path("questions/<int:pk>/repondre/", views.answer, name="answer"),
    path("questions/<int:pk>/commenter/", views.comment, name="comment"),
    path("questions/<int:pk>/suivre/", views.follow, name="follow"),
    path("questions/<int:pk>/clore/", views.close_question, name="close_question"),
    path("reponses/<int:pk>/utile/", views.useful, name="useful"),
    path("reponses/<int:pk>/accepter/", views.accept, name="accept"),
    path("messages/<str:kind>/<int:pk>/masquer/", views.hide, name="hide"),
    path("messages/<str:kind>/<int:pk>/signaler/", views.report, name="report"),
    path("demandes/", views.requests, name="requests"),
    path("demandes/<int:pk>/<str:decision>/", views.decide, name="decide"),
    path("remontees/", views.escalation_list, name="escalations"),
    path("remontees/export.csv", views.escalations_csv, name="escalations_csv"),
    path("remontees/<int:pk>/", views.escalation_detail, name="escalation"),
    path("remontees/<int:pk>/clore/", views.close_escalation, name="close_escalation"),
]
