"""The communities' figures per territory, for the indicators app (which applies statistical
secrecy and serves them in its dashboard, exports and API): computed in the database.

`community_indicators(academie=…)` or `(departement=…)` or nothing (national):
- communities: active communities (a question, an answer or an escalation in the last
  ACTIVE_DAYS days);
- members: people with an active membership in one of the territory's communities (distinct);
- questions, answered_share (questions with at least one visible answer / questions);
- median_first_answer: the median delay between a question and its first answer (a timedelta,
  None without any answered question);
- escalations_by_category: {category: count}.
A community belongs to the territory of its académie (national ones only to the national view).
"""

from datetime import timedelta

from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone

from ..constants import MembershipStatus
from ..models import Answer, Community, Escalation, Membership, Question

ACTIVE_DAYS = 90


def communities_in(*, academie=None, departement=None):
    """The communities of a territory: an académie's (every level inside it), a département's
    (its own, its bassins' and its establishments'), or all of them."""
    communities = Community.objects.all()
    if departement is not None:
        return communities.filter(
            Q(departement=departement)
            | Q(sector__departement=departement)
            | Q(establishment__departement=departement)
        )
    if academie is not None:
        return communities.filter(academie=academie)
    return communities


def community_indicators(*, academie=None, departement=None, now=None):
    now = now or timezone.now()
    communities = communities_in(academie=academie, departement=departement).filter(is_active=True)
    recent = now - timedelta(days=ACTIVE_DAYS)
    active = communities.filter(
        Exists(Question.objects.filter(community=OuterRef("pk"), created_at__gte=recent))
        | Exists(Answer.objects.filter(question__community=OuterRef("pk"), created_at__gte=recent))
        | Exists(Escalation.objects.filter(community=OuterRef("pk"), created_at__gte=recent))
    ).count()
    members = (
        Membership.objects.filter(status=MembershipStatus.ACTIVE, community__in=communities)
        .values("user")
        .distinct()
        .count()
    )
    questions = Question.objects.visible().filter(community__in=communities)
    totals = questions.aggregate(
        total=Count("pk"),
        answered=Count(
            "pk",
            filter=Q(
                Exists(Answer.objects.filter(question=OuterRef("pk"), hidden_at__isnull=True))
            ),
        ),
    )
    # The median delay: questions ordered by the delay to their first answer, the middle one
    # read by offset (one or two rows fetched), so no row is looped over in Python.
    delays = (
        questions.with_first_answer()
        .filter(first_answer_at__isnull=False)
        .annotate(delay=ExpressionWrapper(F("first_answer_at") - F("created_at"), DurationField()))
        .order_by("delay")
        .values_list("delay", flat=True)
    )
    answered = totals["answered"]
    median = None
    if answered:
        middle = list(delays[(answered - 1) // 2 : answered // 2 + 1])
        median = sum(middle, timedelta()) / len(middle)
    by_category = dict(
        Escalation.objects.filter(community__in=communities)
        .values_list("category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "communities": active,
        "members": members,
        "questions": totals["total"],
        "answered_share": answered / totals["total"] if totals["total"] else None,
        "median_first_answer": median,
        "escalations_by_category": by_category,
    }
