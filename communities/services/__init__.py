"""Use cases of the communities. Views, commands, tasks and the admin call these.

One module per subject (members, questions, escalations, meetings, digests, indicators), each
with the tasks that wrap its use cases; this package only re-exports them.
"""

from .digests import (
    queue_weekly_digests,
    remind_askers,
    send_accept_reminder,
    send_digest,
    week_of,
)
from .escalations import answer_escalation, close_escalation, escalate
from .indicators import communities_in, community_indicators
from .meetings import schedule_meeting
from .members import (
    approve_membership,
    join,
    leave,
    mark_seen,
    refuse_membership,
    set_preferences,
)
from .questions import (
    accept_answer,
    answer,
    ask,
    close_question,
    comment,
    find_post,
    follow_question,
    hide_post,
    mark_useful,
    report_post,
    unmark_useful,
)

__all__ = [
    "accept_answer",
    "answer",
    "answer_escalation",
    "approve_membership",
    "ask",
    "close_escalation",
    "close_question",
    "comment",
    "communities_in",
    "community_indicators",
    "escalate",
    "find_post",
    "follow_question",
    "hide_post",
    "join",
    "leave",
    "mark_seen",
    "mark_useful",
    "queue_weekly_digests",
    "refuse_membership",
    "remind_askers",
    "report_post",
    "schedule_meeting",
    "send_accept_reminder",
    "send_digest",
    "set_preferences",
    "unmark_useful",
    "week_of",
]
