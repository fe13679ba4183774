from django.core.cache import cache
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import run_checks
from .tasks import HEARTBEAT_KEY


@never_cache
@require_GET
def health(request):
    """200 when the database, the broker and a worker answer; 503 with the failing part if not."""
    checks = run_checks()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            "checks": checks,
            # When beat last had a worker run its heartbeat (needs a shared cache: REDIS_URL).
            "last_heartbeat": cache.get(HEARTBEAT_KEY),
        },
        status=200 if healthy else 503,
    )
