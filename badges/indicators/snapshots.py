"""Read and refresh indicator snapshots (the summary table of computed dashboards).

A dashboard is identified by who may read what (the reader's territory, not the person) and the
filters chosen: two readers of the same académie share their snapshots. Reading serves the
snapshot when there is one no older than INDICATORS_SNAPSHOT_MAX_STALE, and queues its refresh
when it is older than INDICATORS_SNAPSHOT_TTL (or was computed for another day); otherwise the
figures are computed live and stored. The beat task refreshes, most recently read first, the
snapshots read in the last INDICATORS_SNAPSHOT_KEEP_DAYS that are stale, and warms the default
view of the country and of each académie.
"""

import hashlib
import json
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cotraining.models import Academie

from . import queries, secrecy
from .filters import IndicatorFilterSet
from .models import IndicatorSnapshot
from .queries import Period
from .scope import Scope

FILTER_NAMES = (
    "school_year", "date_from", "date_to", "academie", "departement", "sector", "establishment",
    "degree", "discipline", "theme", "modality", "plan",
)  # fmt: skip


def ttl():
    return timedelta(seconds=getattr(settings, "INDICATORS_SNAPSHOT_TTL", 600))


def max_stale():
    return timedelta(seconds=getattr(settings, "INDICATORS_SNAPSHOT_MAX_STALE", 86_400))


def keep_days():
    return getattr(settings, "INDICATORS_SNAPSHOT_KEEP_DAYS", 7)


def jsonable(value):
    """The raw figures as JSON values: numbers as floats, months as ISO dates (local)."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass
class Figures:
    data: dict
    period: Period
    computed_at: datetime
    stale: bool = False
    key: str = ""


def compute(criteria, *, now=None):
    """The raw figures of every group, computed live (one aggregate query per table), with
    the secrecy verdict under "secrecy": a dashboard that may not be served keeps no figures."""
    verdict = secrecy.check_criteria(criteria)
    if not verdict.served:
        return {"secrecy": verdict.as_data()}
    criteria = replace(criteria, schoolless=verdict.schoolless)
    return {**jsonable(queries.all_indicators(criteria, now=now)), "secrecy": verdict.as_data()}


def snapshot_request(filterset):
    """{"scope", "filters"} identifying a dashboard, or None for an invalid form (nothing to
    keep: its figures are empty)."""
    if filterset.is_bound and not filterset.is_valid():
        return None
    scope = filterset.scope
    cleaned = filterset.form.cleaned_data if filterset.is_bound else {}
    filters = {}
    for name in FILTER_NAMES:
        value = cleaned.get(name)
        if value not in (None, ""):
            filters[name] = value.isoformat() if isinstance(value, date) else str(value).strip()
    if "school_year" in filters and filters["school_year"] == filterset.default_school_year():
        del filters["school_year"]  # the same dashboard as no choice at all
    return {
        "scope": {
            "everything": scope.everything,
            "academies": sorted(scope.academies),
            "departements": sorted(scope.departements),
            "establishments": sorted(scope.establishments),
        },
        "filters": filters,
    }


def snapshot_key(request):
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _filterset(request, today=None):
    scope = request["scope"]
    return IndicatorFilterSet(
        request["filters"] or None,
        scope=Scope(
            everything=scope["everything"],
            academies=frozenset(scope["academies"]),
            departements=frozenset(scope["departements"]),
            establishments=frozenset(scope["establishments"]),
        ),
        today=today,
    )


def _store(key, request, criteria, now):
    started = time.monotonic()
    data = compute(criteria, now=now)
    duration = round(1000 * (time.monotonic() - started))
    values = {
        "request": request,
        "data": data,
        "period_start": criteria.period.start,
        "period_end": criteria.period.end,
        "computed_at": now,
        "duration_ms": duration,
    }
    try:
        with transaction.atomic():
            snapshot, created = IndicatorSnapshot.objects.update_or_create(
                key=key, defaults=values, create_defaults={**values, "last_read_at": now}
            )
    except IntegrityError:  # computed at the same time by another request: theirs is as good
        snapshot = IndicatorSnapshot.objects.get(key=key)
    return snapshot


def read_figures(filterset, *, now=None):
    """The figures of a dashboard: from its snapshot when there is one, live otherwise."""
    now = now or timezone.now()
    criteria = filterset.criteria()
    request = snapshot_request(filterset)
    if request is None:
        return Figures(compute(criteria, now=now), criteria.period, now)
    key = snapshot_key(request)
    snapshot = IndicatorSnapshot.objects.filter(key=key).first()
    if snapshot is not None and "secrecy" not in snapshot.data:
        snapshot = None  # computed before the secrecy verdict was kept: never served as is
    if snapshot is not None and now - snapshot.computed_at <= max_stale():
        stale = now - snapshot.computed_at > ttl() or snapshot.period_end != criteria.period.end
        if stale:
            from .tasks import refresh_indicator_snapshot

            # Robust: a broker that is down leaves the snapshot stale, never fails the page.
            refresh_indicator_snapshot.enqueue_on_commit(key)
        if now - snapshot.last_read_at > timedelta(minutes=5):  # not a write per read
            IndicatorSnapshot.objects.filter(pk=snapshot.pk).update(last_read_at=now)
        period = Period(snapshot.period_start, snapshot.period_end)
        return Figures(snapshot.data, period, snapshot.computed_at, stale=stale, key=key)
    snapshot = _store(key, request, criteria, now)
    return Figures(snapshot.data, criteria.period, snapshot.computed_at, key=key)


def refresh_snapshot(*, key, now=None, force=False):
    """Recompute one snapshot (a no-op when it is fresh, unless `force`). Returns it or None."""
    now = now or timezone.now()
    snapshot = IndicatorSnapshot.objects.filter(key=key).first()
    if snapshot is None:
        return None
    criteria = _filterset(snapshot.request, timezone.localdate(now)).criteria()
    fresh = now - snapshot.computed_at <= ttl() and snapshot.period_end == criteria.period.end
    if fresh and not force and "secrecy" in snapshot.data:
        return snapshot
    return _store(key, snapshot.request, criteria, now)


def default_requests():
    """The dashboards warmed before anyone asks: the country's and each académie's."""
    yield {"scope": {"everything": True, "academies": [], "departements": [],
                     "establishments": []}, "filters": {}}  # fmt: skip
    for pk in Academie.objects.values_list("pk", flat=True):
        yield {"scope": {"everything": False, "academies": [pk], "departements": [],
                         "establishments": []}, "filters": {}}  # fmt: skip


def refresh_snapshots(*, now=None, limit=100):
    """The beat task's work: forget the snapshots nobody read lately, warm the defaults, then
    refresh the stale ones, most recently read first, `limit` at most. Returns how many were
    computed."""
    now = now or timezone.now()
    computed = 0
    IndicatorSnapshot.objects.filter(last_read_at__lt=now - timedelta(days=keep_days())).delete()
    known = set(IndicatorSnapshot.objects.values_list("key", flat=True))
    for request in default_requests():
        key = snapshot_key(request)
        if key not in known and computed < limit:
            _store(key, request, _filterset(request, timezone.localdate(now)).criteria(), now)
            computed += 1
    today = timezone.localdate(now)
    candidates = IndicatorSnapshot.objects.order_by("-last_read_at").values_list(
        "key", "computed_at", "period_end", "request"
    )
    for key, computed_at, period_end, request in candidates.iterator():
        if computed >= limit:
            break
        criteria = _filterset(request, today).criteria()
        if now - computed_at > ttl() or period_end != criteria.period.end:
            _store(key, request, criteria, now)
            computed += 1
    return computed
