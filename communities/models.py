"""Communities of practice: groups by subject and territory, their members, questions and
answers, the difficulties members report upward to their inspector, and the weekly digest.

Every row here is state (memberships, posts, votes, escalations): the rules that change it live
in communities.services; the models hold invariants (unique and check constraints) and the
querysets that lists and indicators share.
"""

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.utils.translation import gettext_lazy as _

from cotraining.constants import Degree
from cotraining.folding import Fold
from cotraining.models import (
    Academie,
    Competence,
    Departement,
    Discipline,
    Establishment,
    Sector,
    Session,
    WorkshopPage,
)

from .constants import (
    Access,
    CommunityKind,
    DigestStatus,
    EscalationCategory,
    EscalationStatus,
    MembershipStatus,
    PostKind,
    QuestionState,
    TerritoryLevel,
)


class Community(models.Model):
    """A working group: a subject in a territory (discipline × degree × level), a theme, or a
    school's team; animated by inspectors or trainers, open or closed to newcomers."""

    name = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("présentation"), blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=CommunityKind.choices)
    access = models.CharField(
        _("accès"), max_length=10, choices=Access.choices, default=Access.OPEN
    )
    discipline = models.ForeignKey(
        Discipline,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communities",
        verbose_name=_("discipline"),
    )
    degree = models.CharField(
        _("degré"),
        max_length=1,
        choices=Degree.choices,
        blank=True,
        help_text=_("Vide : les deux degrés."),
    )
    level = models.CharField(_("échelle"), max_length=20, choices=TerritoryLevel.choices)
    # The territory: an académie for every level but the national one, and the département,
    # bassin or establishment the level names (the check constraint below).
    academie = models.ForeignKey(
        Academie,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communities",
        verbose_name=_("académie"),
    )
    departement = models.ForeignKey(
        Departement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communities",
        verbose_name=_("département"),
    )
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communities",
        verbose_name=_("bassin ou circonscription"),
    )
    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communities",
        verbose_name=_("établissement"),
    )
    animators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="animated_communities",
        verbose_name=_("animateurs"),
    )
    # Meetings are sessions of this workshop (enrolment, convocation, attendance and hours as
    # for any training): the académie's coordination creates it once for the community.
    meeting_workshop = models.ForeignKey(
        WorkshopPage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communities",
        verbose_name=_("atelier des réunions"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("communauté")
        verbose_name_plural = _("communautés")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        level=TerritoryLevel.NATIONAL,
                        academie__isnull=True,
                        departement__isnull=True,
                        sector__isnull=True,
                        establishment__isnull=True,
                    )
                    | Q(
                        level=TerritoryLevel.ACADEMIE,
                        academie__isnull=False,
                        departement__isnull=True,
                        sector__isnull=True,
                        establishment__isnull=True,
                    )
                    | Q(
                        level=TerritoryLevel.DEPARTEMENT,
                        academie__isnull=False,
                        departement__isnull=False,
                        sector__isnull=True,
                        establishment__isnull=True,
                    )
                    | Q(
                        level=TerritoryLevel.BASSIN,
                        academie__isnull=False,
                        sector__isnull=False,
                        establishment__isnull=True,
                    )
                    | Q(
                        level=TerritoryLevel.ESTABLISHMENT,
                        academie__isnull=False,
                        establishment__isnull=False,
                    )
                ),
                name="community_territory_matches_level",
                violation_error_message=_("Le territoire ne correspond pas à l'échelle choisie."),
            ),
            models.CheckConstraint(
                condition=~Q(kind=CommunityKind.DISCIPLINE) | Q(discipline__isnull=False),
                name="community_discipline_group_has_discipline",
                violation_error_message=_("Un groupe disciplinaire a une discipline."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_closed(self):
        return self.access == Access.CLOSED

    @property
    def territory(self):
        return self.establishment or self.sector or self.departement or self.academie


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=MembershipStatus.ACTIVE)


class Membership(models.Model):
    """One person in one community: a request waiting for an animator, or a member."""

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("communauté"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="community_memberships",
        verbose_name=_("personne"),
    )
    status = models.CharField(
        _("statut"),
        max_length=10,
        choices=MembershipStatus.choices,
        default=MembershipStatus.ACTIVE,
    )
    follows = models.BooleanField(
        _("suivre les nouvelles questions"),
        default=True,
        help_text=_("Les nouvelles questions figurent dans vos notifications."),
    )
    digest_opt_out = models.BooleanField(_("sans lettre hebdomadaire"), default=False)
    requested_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    joined_at = models.DateTimeField(_("membre depuis"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("décidée par"),
    )
    # What the member has seen: events after it are "new" on the community's page.
    last_seen_at = models.DateTimeField(_("dernière visite"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("adhésion")
        verbose_name_plural = _("adhésions")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["community", "user"], name="membership_once"),
            models.CheckConstraint(
                condition=~Q(status=MembershipStatus.ACTIVE) | Q(joined_at__isnull=False),
                name="membership_active_has_date",
            ),
        ]
        indexes = [models.Index(fields=["community", "status"], name="membership_status")]

    def __str__(self):
        return f"{self.user} — {self.community}"

    @property
    def is_active(self):
        return self.status == MembershipStatus.ACTIVE


class Post(models.Model):
    """What questions, answers and comments share: an author, a text, moderation."""

    text = models.TextField(_("texte"), max_length=10_000)
    created_at = models.DateTimeField(_("publié le"), auto_now_add=True, db_index=True)
    hidden_at = models.DateTimeField(_("masqué le"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("masqué par"),
    )

    class Meta:
        abstract = True

    @property
    def is_hidden(self):
        return self.hidden_at is not None


class QuestionQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(hidden_at__isnull=True)

    def with_counts(self):
        """Annotate `answer_count` (visible answers) with a subquery: no join, so the page of
        a community with 10,000 questions stays one query whatever their answers."""
        answers = (
            Answer.objects.filter(question=OuterRef("pk"), hidden_at__isnull=True)
            .order_by()
            .values("question")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(answer_count=Coalesce(Subquery(answers), Value(0)))

    def with_first_answer(self):
        """Annotate `first_answer_at`: when the first visible answer came (None: none yet)."""
        first = (
            Answer.objects.filter(question=OuterRef("pk"), hidden_at__isnull=True)
            .order_by("created_at")
            .values("created_at")[:1]
        )
        return self.annotate(first_answer_at=Subquery(first))


class Question(Post):
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="questions", verbose_name=_("communauté")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="community_questions",
        verbose_name=_("auteur"),
    )
    title = models.CharField(_("titre"), max_length=200)
    tags = models.CharField(
        _("mots-clés"),
        max_length=200,
        blank=True,
        help_text=_("Séparés par des virgules, par exemple : dyslexie, évaluation."),
    )
    competences = models.ManyToManyField(
        Competence, blank=True, related_name="community_questions", verbose_name=_("compétences")
    )
    state = models.CharField(
        _("état"), max_length=10, choices=QuestionState.choices, default=QuestionState.OPEN
    )
    accepted_answer = models.OneToOneField(
        "communities.Answer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("réponse acceptée"),
    )
    accepted_at = models.DateTimeField(_("réponse acceptée le"), null=True, blank=True)
    # The asker was reminded to accept an answer (once; beat's remind_askers claims the row).
    reminded_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)
    # Title, text and tags folded by the database (cotraining.folding): a search finds
    # "évaluation" when "evaluation" is typed, and parts of words, on SQLite and PostgreSQL.
    search_text = models.GeneratedField(
        expression=Fold(
            Concat("title", Value(" "), "text", Value(" "), "tags", output_field=models.TextField())
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    objects = QuestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # A community's page: its latest visible questions first.
            models.Index(
                fields=["community", "-created_at"],
                name="question_community_latest",
                condition=Q(hidden_at__isnull=True),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def tag_list(self):
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]


class Answer(Post):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="community_answers",
        verbose_name=_("auteur"),
    )

    class Meta:
        verbose_name = _("réponse")
        verbose_name_plural = _("réponses")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["question", "created_at"], name="answer_question")]

    def __str__(self):
        return f"{self.author} — {self.question}"


class UsefulVote(models.Model):
    """A member found an answer useful: one vote per person and answer."""

    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="votes", verbose_name=_("réponse")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("personne"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vote « utile »")
        verbose_name_plural = _("votes « utile »")
        constraints = [models.UniqueConstraint(fields=["answer", "user"], name="useful_vote_once")]

    def __str__(self):
        return f"{self.user_id} → {self.answer_id}"


class Comment(Post):
    """A remark on a question, or on one of its answers."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="comments", verbose_name=_("question")
    )
    answer = models.ForeignKey(
        Answer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("réponse"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="community_comments",
        verbose_name=_("auteur"),
    )

    class Meta:
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.author} — {self.question}"


class QuestionFollow(models.Model):
    """Someone follows a question: its new answers are in their notifications and digest."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="follows", verbose_name=_("question")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="followed_questions",
        verbose_name=_("personne"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("question suivie")
        verbose_name_plural = _("questions suivies")
        constraints = [
            models.UniqueConstraint(fields=["question", "user"], name="question_follow_once")
        ]

    def __str__(self):
        return f"{self.user_id} → {self.question_id}"


class Escalation(models.Model):
    """A difficulty a member reports upward ("faire remonter") to the community's inspector."""

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="escalations",
        verbose_name=_("communauté"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="community_escalations",
        verbose_name=_("auteur"),
    )
    category = models.CharField(_("catégorie"), max_length=20, choices=EscalationCategory.choices)
    title = models.CharField(_("objet"), max_length=200)
    text = models.TextField(_("description"), max_length=10_000)
    status = models.CharField(
        _("statut"),
        max_length=10,
        choices=EscalationStatus.choices,
        default=EscalationStatus.OPEN,
    )
    response = models.TextField(_("réponse de l'inspection"), max_length=10_000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("répondue par"),
    )
    answered_at = models.DateTimeField(_("répondue le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    created_at = models.DateTimeField(_("signalée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("remontée")
        verbose_name_plural = _("remontées")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["community", "status"], name="escalation_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=EscalationStatus.OPEN)
                | ~Q(response="")
                | Q(status=EscalationStatus.CLOSED),
                name="escalation_answered_has_response",
            ),
        ]

    def __str__(self):
        return self.title


class Meeting(models.Model):
    """A community meeting: a session of the community's meeting workshop (cotraining), so
    enrolment, convocation, visio link, attendance and hours work as for any training."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("communauté")
    )
    session = models.OneToOneField(
        Session,
        on_delete=models.CASCADE,
        related_name="community_meeting",
        verbose_name=_("séance"),
    )

    class Meta:
        verbose_name = _("réunion")
        verbose_name_plural = _("réunions")

    def __str__(self):
        return f"{self.community} — {self.session}"


class PostReport(models.Model):
    """A member flags a question, an answer or a comment; the community's animators decide
    (hide it or not). Posts live inside a community, not on a Wagtail page, so the site's page
    reports (cms.ContentReport) cannot hold them: same fields, same one-open-report rule."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="reports", verbose_name=_("communauté")
    )
    kind = models.CharField(_("type"), max_length=10, choices=PostKind.choices)
    post_id = models.PositiveBigIntegerField(_("message"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("signalé par"),
    )
    message = models.TextField(_("précisions"), max_length=2000, blank=True)
    handled_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    created_at = models.DateTimeField(_("signalé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("signalement de message")
        verbose_name_plural = _("signalements de messages")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "post_id", "reporter"],
                condition=Q(handled_at__isnull=True),
                name="post_report_open_once",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.post_id}"


class Digest(models.Model):
    """The weekly email of one person: the row claims the week, so beat running twice or a
    worker retrying still sends one digest per person and week."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="community_digests",
        verbose_name=_("destinataire"),
    )
    week = models.DateField(_("semaine du"))
    status = models.CharField(
        _("statut"), max_length=10, choices=DigestStatus.choices, default=DigestStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lettre hebdomadaire")
        verbose_name_plural = _("lettres hebdomadaires")
        ordering = ["-week"]
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="digest_once_a_week")]

    def __str__(self):
        return f"{self.user} — {self.week}"
