"""What every suite shares: `processes` (manage.py, Django child processes, gunicorn, a Celery
worker, CPU and memory from /proc), `load` (wrk or a threaded client), `databases` (scratch
SQLite and PostgreSQL databases, the Redis broker), `environment` (the machine and software
versions), `results` (the JSON files) and `child` (the entry point of a Django child process)."""
