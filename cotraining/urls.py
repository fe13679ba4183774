from django.urls import path

from .views import approvals, participants, profile, trainers

app_name = "cotraining"

urlpatterns = [
    path("profil/", profile.profile, name="profile"),
    # Teachers
    path("inscription/seance/<int:pk>/", participants.enroll_session, name="enroll_session"),
    path("inscription/<int:pk>/annuler/", participants.cancel, name="cancel_enrollment"),
    path("mon-parcours/", participants.my_journey, name="my_journey"),
    path("mon-parcours/convocation/<int:pk>.pdf", participants.convocation, name="convocation"),
    path("mon-parcours/invitation/<int:pk>.ics", participants.invitation, name="invitation"),
    path("mon-parcours/attestation/<int:pk>.pdf", participants.certificate, name="certificate"),
    path("mon-parcours/agenda/", participants.reset_calendar_feed, name="reset_calendar_feed"),
    path("agenda/<str:token>.ics", participants.calendar_feed_view, name="calendar_feed"),
    path("emargement/", participants.check_in, name="check_in"),
    # Line managers
    path("accords/", approvals.approvals, name="approvals"),
    path(
        "accords/<int:pk>/<str:decision>/",
        approvals.decide,
        name="decide",
    ),
    # Trainers and coordinators
    path("mes-seances/", trainers.my_sessions, name="my_sessions"),
    path("mes-seances/<int:pk>/", trainers.attendance_sheet, name="attendance_sheet"),
    path(
        "mes-seances/<int:pk>/presence/<int:enrollment_pk>/",
        trainers.record_attendance,
        name="record_attendance",
    ),
    path(
        "mes-seances/<int:pk>/retirer/<int:enrollment_pk>/",
        trainers.remove_participant,
        name="remove_participant",
    ),
    path(
        "mes-seances/<int:pk>/emargement.pdf",
        trainers.attendance_sheet_pdf_view,
        name="attendance_sheet_pdf",
    ),
    path(
        "mes-seances/<int:pk>/participants.csv", trainers.participants_csv, name="participants_csv"
    ),
    path("mes-seances/<int:pk>/code/", trainers.checkin_screen, name="checkin_screen"),
]
