#!/bin/sh
# What the AI Hub image runs. docker-compose.yml starts each service with one of these
# commands, and tests/ops/test_production_smoke.py runs this same script outside a container.
#
#   web [gunicorn args]     migrate (unless AIHUB_MIGRATE_ON_START=false), then gunicorn
#   worker [celery args]    a Celery worker
#   beat [celery args]      Celery beat (run exactly one)
#   migrate                 apply database migrations and exit
#   collectstatic           collect static files into STATIC_ROOT (the image does it at build)
#   anything else           run as given (e.g. `mlflow server ...`, `python manage.py shell`)
set -eu

command="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$command" in
  web)
    if [ "${AIHUB_MIGRATE_ON_START:-true}" != "false" ]; then
      python manage.py migrate --noinput
    fi
    # Two workers of four threads per two cores (see README, "Deploying").
    exec gunicorn aihub.wsgi:application \
      --bind "${BIND:-0.0.0.0:8000}" \
      --workers "${WEB_CONCURRENCY:-2}" \
      --threads "${GUNICORN_THREADS:-4}" \
      --access-logfile - --error-logfile - \
      "$@"
    ;;
  worker)
    exec celery -A aihub worker --loglevel="${CELERY_LOG_LEVEL:-INFO}" \
      --concurrency="${CELERY_CONCURRENCY:-2}" "$@"
    ;;
  beat)
    exec celery -A aihub beat --loglevel="${CELERY_LOG_LEVEL:-INFO}" \
      --schedule="${CELERY_BEAT_SCHEDULE:-${AIHUB_DATA_DIR:-data}/celerybeat-schedule}" "$@"
    ;;
  migrate)
    exec python manage.py migrate --noinput "$@"
    ;;
  collectstatic)
    exec python manage.py collectstatic --noinput "$@"
    ;;
  *)
    exec "$command" "$@"
    ;;
esac
