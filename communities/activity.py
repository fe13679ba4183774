"""What is new for a member: the on-site notifications of a community's page and the content of
the weekly digest read the same querysets."""

from .constants import MembershipStatus
from .models import Answer, Question


def new_questions(*, user, since, communities):
    """Visible questions asked by others in `communities` (a queryset of ids) after `since`."""
    questions = Question.objects.visible().filter(community__in=communities).exclude(author=user)
    if since is not None:
        questions = questions.filter(created_at__gt=since)
    return questions.select_related("community", "author").order_by("-created_at")


def new_answers_followed(*, user, since, communities):
    """Visible answers by others, after `since`, to the questions the person follows."""
    answers = (
        Answer.objects.filter(
            hidden_at__isnull=True,
            question__hidden_at__isnull=True,
            question__follows__user=user,
            question__community__in=communities,
        )
        .exclude(author=user)
        .select_related("question", "author")
        .order_by("-created_at")
    )
    if since is not None:
        answers = answers.filter(created_at__gt=since)
    return answers


def unread_events(*, membership, limit=10):
    """The member's unread events in one community: new questions (when they follow the
    community) and new answers to the questions they follow, newest first."""
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return []
    communities = [membership.community_id]
    since = membership.last_seen_at or membership.joined_at
    events = list(
        new_answers_followed(user=membership.user, since=since, communities=communities)[:limit]
    )
    if membership.follows:
        events += list(
            new_questions(user=membership.user, since=since, communities=communities)[:limit]
        )
    events.sort(key=lambda post: post.created_at, reverse=True)
    return events[:limit]
