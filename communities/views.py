"""The communities' pages: the list offered to a person, a community (questions with search,
members, joining), a question (answers, comments, useful, accepted, following), asking,
reporting a difficulty upward, the escalations of an inspector, the animators' pending requests.

Every object is looked up in a communities.permissions queryset: 404 outside it. Views hold no
rules: they call communities.services and show a ServiceError's message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from cotraining.exceptions import ServiceError
from cotraining.spreadsheets import csv_writer

from . import services
from .activity import unread_events
from .constants import MembershipStatus, PostKind
from .filters import EscalationFilterSet
from .forms import (
    AnswerForm,
    CommentForm,
    EscalationForm,
    EscalationResponseForm,
    QuestionForm,
    SearchForm,
)
from .models import Comment, Membership, PostReport, UsefulVote
from .permissions import (
    animated_communities,
    offered_communities,
    postable_communities,
    readable_answers,
    readable_communities,
    readable_questions,
    visible_communities,
    visible_escalations,
)
from .search import search_questions

QUESTIONS_PER_PAGE = 20
MEMBERS_PER_PAGE = 50
ESCALATIONS_PER_PAGE = 50


def _membership(user, community):
    return Membership.objects.filter(community=community, user=user).first()


def _fail(request, error):
    messages.error(request, error.message)


@login_required
def community_list(request):
    """Mine (joined, requested, animated) first, then those offered to me."""
    user = request.user
    memberships = {
        m.community_id: m
        for m in Membership.objects.filter(user=user).exclude(status=MembershipStatus.REFUSED)
    }
    animated = set(animated_communities(user).values_list("pk", flat=True))
    members = Count("memberships", filter=Q(memberships__status=MembershipStatus.ACTIVE))
    mine_ids = set(memberships) | animated
    communities = (
        visible_communities(user)
        .filter(Q(pk__in=mine_ids) | Q(pk__in=offered_communities(user).values("pk")))
        .select_related("discipline", "academie", "departement", "sector", "establishment")
        .annotate(member_count=members)
        .order_by("name")
    )
    mine, offered = [], []
    for community in communities:
        community.membership = memberships.get(community.pk)
        community.animates = community.pk in animated
        (mine if community.pk in mine_ids else offered).append(community)
    return render(
        request,
        "communities/community_list.html",
        {"mine": mine, "offered": offered, "animates_any": bool(animated)},
    )


@login_required
def community_detail(request, pk):
    user = request.user
    community = get_object_or_404(
        visible_communities(user).select_related(
            "discipline", "academie", "departement", "sector", "establishment"
        ),
        pk=pk,
    )
    membership = _membership(user, community)
    animates = animated_communities(user).filter(pk=community.pk).exists()
    can_read = readable_communities(user).filter(pk=community.pk).exists()
    can_post = bool(animates or (membership and membership.is_active))
    search = SearchForm(request.GET or None)
    context = {
        "community": community,
        "membership": membership,
        "animates": animates,
        "can_read": can_read,
        "can_post": can_post,
        "search": search,
        "animators": list(community.animators.all()),
        "member_count": community.memberships.active().count(),
    }
    if can_read:
        query = search.cleaned_data["q"] if search.is_valid() else ""
        questions = search_questions(community.questions.visible(), query)
        questions = questions.with_counts().select_related("author").order_by("-created_at", "-pk")
        page = Paginator(questions, QUESTIONS_PER_PAGE).get_page(request.GET.get("page"))
        context.update(
            page=page,
            query=query,
            querystring=f"q={query}" if query else "",
            meetings=community.meetings.filter(session__start__gt=timezone.now())
            .select_related("session__workshop")
            .order_by("session__start")[:5],
        )
    if membership is not None and membership.is_active:
        context["events"] = unread_events(membership=membership)
        services.mark_seen(membership=membership)
    if animates:
        context["pending_count"] = community.memberships.filter(
            status=MembershipStatus.REQUESTED
        ).count()
    return render(request, "communities/community_detail.html", context)


@login_required
@require_POST
def join(request, pk):
    community = get_object_or_404(visible_communities(request.user), pk=pk)
    try:
        membership = services.join(community=community, user=request.user)
    except ServiceError as error:
        _fail(request, error)
    else:
        if membership.is_active:
            messages.success(request, _("Vous êtes membre de la communauté."))
        else:
            messages.success(
                request,
                _("Votre demande est transmise aux animateurs de la communauté, qui décident."),
            )
    return redirect("communities:detail", pk=community.pk)


@login_required
@require_POST
def leave(request, pk):
    community = get_object_or_404(visible_communities(request.user), pk=pk)
    if services.leave(community=community, user=request.user):
        messages.success(request, _("Vous avez quitté la communauté."))
    return redirect("communities:list")


@login_required
@require_POST
def preferences(request, pk):
    membership = get_object_or_404(Membership.objects.active(), community_id=pk, user=request.user)
    services.set_preferences(
        membership=membership,
        follows=request.POST.get("follows") == "on",
        digest_opt_out=request.POST.get("digest") != "on",
    )
    messages.success(request, _("Vos préférences sont enregistrées."))
    return redirect("communities:detail", pk=pk)


@login_required
def members(request, pk):
    community = get_object_or_404(readable_communities(request.user), pk=pk)
    rows = (
        community.memberships.active()
        .select_related("user__establishment")
        .order_by("user__last_name", "user__first_name")
    )
    page = Paginator(rows, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "communities/members.html", {"community": community, "page": page})


@login_required
def ask(request, pk):
    community = get_object_or_404(postable_communities(request.user), pk=pk)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question = services.ask(community=community, by=request.user, **form.cleaned_data)
        except ServiceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Votre question est publiée."))
            return redirect("communities:question", pk=question.pk)
    return render(request, "communities/ask.html", {"community": community, "form": form})


@login_required
def question_detail(request, pk):
    user = request.user
    question = get_object_or_404(
        readable_questions(user).select_related("community", "author", "accepted_answer"), pk=pk
    )
    community = question.community
    animates = animated_communities(user).filter(pk=community.pk).exists()
    can_post = postable_communities(user).filter(pk=community.pk).exists()
    comments = Comment.objects.select_related("author").order_by("created_at", "pk")
    if not animates:
        comments = comments.filter(hidden_at__isnull=True)
    answers = question.answers.select_related("author").annotate(
        useful_count=Count("votes", distinct=True),
        voted=Exists(UsefulVote.objects.filter(answer=OuterRef("pk"), user=user)),
    )
    if not animates:
        answers = answers.filter(hidden_at__isnull=True)
    answers = answers.prefetch_related(Prefetch("comments", queryset=comments))
    context = {
        "question": question,
        "community": community,
        "animates": animates,
        "can_post": can_post,
        "may_accept": question.author_id == user.pk or animates,
        "answers": answers.order_by("created_at", "pk"),
        "comments": comments.filter(question=question, answer__isnull=True),
        "follows": question.follows.filter(user=user).exists(),
        "competences": question.competences.all(),
        "answer_form": AnswerForm(),
        "comment_form": CommentForm(),
    }
    return render(request, "communities/question_detail.html", context)


def _question_or_404(request, pk):
    return get_object_or_404(readable_questions(request.user), pk=pk)


@login_required
@require_POST
def answer(request, pk):
    question = _question_or_404(request, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.answer(question=question, by=request.user, text=form.cleaned_data["text"])
        except ServiceError as error:
            _fail(request, error)
        else:
            messages.success(request, _("Votre réponse est publiée."))
    else:
        messages.error(request, _("Écrivez votre réponse avant de l'envoyer."))
    return redirect("communities:question", pk=question.pk)


@login_required
@require_POST
def comment(request, pk):
    question = _question_or_404(request, pk)
    form = CommentForm(request.POST)
    on_answer = None
    if request.POST.get("answer"):
        on_answer = get_object_or_404(
            readable_answers(request.user), pk=request.POST["answer"], question=question
        )
    if form.is_valid():
        try:
            services.comment(
                question=question,
                by=request.user,
                text=form.cleaned_data["text"],
                on_answer=on_answer,
            )
        except ServiceError as error:
            _fail(request, error)
        else:
            messages.success(request, _("Votre commentaire est publié."))
    else:
        messages.error(request, _("Écrivez votre commentaire avant de l'envoyer."))
    return redirect("communities:question", pk=question.pk)


@login_required
@require_POST
def follow(request, pk):
    question = _question_or_404(request, pk)
    wanted = request.POST.get("follow") == "1"
    services.follow_question(question=question, user=request.user, follow=wanted)
    if wanted:
        messages.success(request, _("Vous suivez cette question."))
    else:
        messages.success(request, _("Vous ne suivez plus cette question."))
    return redirect("communities:question", pk=question.pk)


@login_required
@require_POST
def close_question(request, pk):
    question = _question_or_404(request, pk)
    try:
        services.close_question(question=question, by=request.user)
    except ServiceError as error:
        _fail(request, error)
    else:
        messages.success(request, _("La question est close."))
    return redirect("communities:question", pk=question.pk)


@login_required
@require_POST
def useful(request, pk):
    reply = get_object_or_404(readable_answers(request.user), pk=pk)
    try:
        if request.POST.get("useful") == "0":
            services.unmark_useful(answer=reply, by=request.user)
        else:
            services.mark_useful(answer=reply, by=request.user)
    except ServiceError as error:
        _fail(request, error)
    return redirect(reverse("communities:question", args=[reply.question_id]) + f"#reponse-{pk}")


@login_required
@require_POST
def accept(request, pk):
    reply = get_object_or_404(readable_answers(request.user), pk=pk)
    try:
        services.accept_answer(answer=reply, by=request.user)
    except ServiceError as error:
        _fail(request, error)
    else:
        messages.success(request, _("Cette réponse est marquée comme acceptée."))
    return redirect(reverse("communities:question", args=[reply.question_id]) + f"#reponse-{pk}")


def _post_question_id(post):
    return post.pk if post.__class__.__name__ == "Question" else post.question_id


@login_required
@require_POST
def hide(request, kind, pk):
    post = services.find_post(kind=kind, pk=pk, user=request.user)
    if post is None:
        raise Http404
    try:
        services.hide_post(kind=kind, pk=pk, by=request.user, reason=request.POST.get("reason"))
    except ServiceError as error:
        _fail(request, error)
    else:
        messages.success(request, _("Le message est masqué ; il reste visible des animateurs."))
    if kind == PostKind.QUESTION:
        return redirect("communities:detail", pk=post.community_id)
    return redirect("communities:question", pk=_post_question_id(post))


@ratelimit(key="user", rate="5/h", method="POST", block=False)
@login_required
@require_POST
def report(request, kind, pk):
    post = services.find_post(kind=kind, pk=pk, user=request.user)
    if post is None:
        raise Http404
    if getattr(request, "limited", False):
        messages.error(
            request,
            _(
                "Vous avez envoyé beaucoup de signalements en peu de temps. "
                "Merci de réessayer dans une heure."
            ),
        )
    else:
        try:
            services.report_post(
                kind=kind, pk=pk, by=request.user, message=request.POST.get("message", "")
            )
        except ServiceError as error:
            _fail(request, error)
        else:
            messages.success(request, _("Merci, votre signalement a été transmis aux animateurs."))
    return redirect("communities:question", pk=_post_question_id(post))


@login_required
def requests(request):
    """The animator's pending requests and reported posts, across their communities."""
    animated = animated_communities(request.user)
    if not animated.exists():
        raise Http404
    pending = (
        Membership.objects.filter(
            community__in=animated.values("pk"), status=MembershipStatus.REQUESTED
        )
        .select_related("user__establishment", "community")
        .order_by("requested_at")
    )
    reports = (
        PostReport.objects.filter(community__in=animated.values("pk"), handled_at__isnull=True)
        .select_related("community", "reporter")
        .order_by("created_at")[:100]
    )
    return render(request, "communities/requests.html", {"pending": pending, "reports": reports})


@login_required
@require_POST
def decide(request, pk, decision):
    if decision not in ("accepter", "refuser"):
        raise Http404
    membership = get_object_or_404(
        Membership.objects.filter(
            community__in=animated_communities(request.user).values("pk")
        ).select_related("user"),
        pk=pk,
    )
    try:
        if decision == "accepter":
            services.approve_membership(membership=membership, by=request.user)
            messages.success(
                request, _("%(name)s est membre de la communauté.") % {"name": membership.user}
            )
        else:
            services.refuse_membership(membership=membership, by=request.user)
            messages.success(request, _("Demande de %(name)s refusée.") % {"name": membership.user})
    except ServiceError as error:
        _fail(request, error)
    return redirect("communities:requests")


@login_required
def escalate(request, pk):
    community = get_object_or_404(postable_communities(request.user), pk=pk)
    form = EscalationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            escalation = services.escalate(
                community=community, by=request.user, **form.cleaned_data
            )
        except ServiceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Votre remontée est transmise à l'inspection qui anime la communauté.")
            )
            return redirect("communities:escalation", pk=escalation.pk)
    return render(request, "communities/escalate.html", {"community": community, "form": form})


def _escalations(request):
    visible = visible_escalations(request.user).select_related("community", "author", "answered_by")
    return EscalationFilterSet(request.GET or None, queryset=visible, request=request)


@login_required
def escalation_list(request):
    filters = _escalations(request)
    page = Paginator(filters.qs.order_by("-created_at", "-pk"), ESCALATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "communities/escalation_list.html",
        {
            "filters": filters,
            "page": page,
            "querystring": query.urlencode(),
            "animates_any": animated_communities(request.user).exists(),
        },
    )


@login_required
def escalations_csv(request):
    """The filtered escalations as CSV, for the inspectors (formulas neutralised)."""
    if not animated_communities(request.user).exists():
        raise Http404
    filters = _escalations(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="remontees.csv"'
    response.write("\ufeff")
    writer = csv_writer(response)
    writer.writerow(
        [
            _("Date"),
            _("Communauté"),
            _("Catégorie"),
            _("Objet"),
            _("Description"),
            _("Auteur"),
            _("Statut"),
            _("Réponse"),
            _("Répondue le"),
        ]
    )
    for row in filters.qs.order_by("-created_at", "-pk"):
        writer.writerow(
            [
                timezone.localtime(row.created_at).strftime("%d/%m/%Y"),
                row.community.name,
                row.get_category_display(),
                row.title,
                row.text,
                str(row.author),
                row.get_status_display(),
                row.response,
                timezone.localtime(row.answered_at).strftime("%d/%m/%Y") if row.answered_at else "",
            ]
        )
    return response


@login_required
def escalation_detail(request, pk):
    escalation = get_object_or_404(
        visible_escalations(request.user).select_related("community", "author", "answered_by"),
        pk=pk,
    )
    animates = animated_communities(request.user).filter(pk=escalation.community_id).exists()
    form = None
    if animates:
        form = EscalationResponseForm(
            request.POST or None, initial={"response": escalation.response}
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.answer_escalation(
                    escalation=escalation, by=request.user, response=form.cleaned_data["response"]
                )
            except ServiceError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Votre réponse est enregistrée ; l'auteur la lit ici."))
                return redirect("communities:escalation", pk=escalation.pk)
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "communities/escalation_detail.html",
        {"escalation": escalation, "animates": animates, "form": form},
    )


@login_required
@require_POST
def close_escalation(request, pk):
    escalation = get_object_or_404(visible_escalations(request.user), pk=pk)
    try:
        services.close_escalation(escalation=escalation, by=request.user)
    except ServiceError as error:
        _fail(request, error)
    else:
        messages.success(request, _("La remontée est close."))
    return redirect("communities:escalation", pk=escalation.pk)
