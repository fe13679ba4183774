"""What the co-training layer announces to the layers above it (badges listens; never the reverse).

Receivers connect with a `dispatch_uid` so that a module imported twice never awards twice.
"""

from django.dispatch import Signal

# Sent after the transaction that records a completion commits.
# kwargs: completion (cotraining.models.Completion).
workshop_completed = Signal()

# Sent when corrected attendance means a person no longer completes a workshop.
# kwargs: user, workshop (the Completion row is gone).
completion_withdrawn = Signal()
