"""The Celery app of the badges suite's worker: `celery -A bench.suites.badges_worker worker`.

The project's own app (cms.celery, its settings and tasks) plus two tasks of the benchmark: the
unit of a bulk award (one `award_badge` call, `badges_measures.award_one`) and a trivial task,
the broker's and worker's own ceiling. Every task of the run, the award emails included, goes to
the run's own queue (BENCH_BADGES_QUEUE), the settings' routes to the awards and mail queues
switched off (one worker consumes everything, as the integration suite's does); after each task
the worker counts it and records its run time in Redis, which is how the benchmark sees the
worker's progress (one Redis round trip per task). Importing this module makes the run's queue
the only one.
"""

import os
import time

from celery.signals import task_postrun, task_prerun

from cms.celery import app

QUEUE = os.environ.get("BENCH_BADGES_QUEUE", "celery")
app.conf.task_default_queue = QUEUE
app.conf.task_routes = {}  # before the first task is sent: the router reads them then

_started = {}
_redis = None


def key(task_name, what):
    return f"bench:{QUEUE}:{task_name}:{what}"


def _client():
    global _redis  # one connection per worker process, opened after the fork
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(app.conf.broker_url)
    return _redis


@task_prerun.connect
def _prerun(task_id=None, **kwargs):
    _started[task_id] = time.perf_counter()


@task_postrun.connect
def _postrun(task_id=None, task=None, state=None, **kwargs):
    began = _started.pop(task_id, None)
    pipe = _client().pipeline(transaction=False)
    pipe.incr(key(task.name, "done" if state == "SUCCESS" else "failed"))
    if began is not None:
        pipe.rpush(key(task.name, "ms"), f"{(time.perf_counter() - began) * 1000:.3f}")
    pipe.execute()


@app.task(name="bench.award_badge", ignore_result=True)
def award_badge(badge_class_id, user_id, source):
    from bench.suites.badges_measures import award_one  # the app's models: once Django is set up

    award_one(badge_class_id, user_id, source)


@app.task(name="bench.noop", ignore_result=True)
def noop(number):
    return None
