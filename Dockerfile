FROM python:3.11-slim

# Production by default: DEBUG is off unless the environment turns it on, and the app then
# refuses to start without a real SECRET_KEY (aihub/settings.py).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DEBUG=false AIHUB_DATA_DIR=/data STATIC_ROOT=/app/staticfiles MLFLOW_DISABLE_TELEMETRY=true \
    WEB_CONCURRENCY=2 GUNICORN_THREADS=4

WORKDIR /app
RUN useradd --create-home --uid 1000 aihub && mkdir -p /data /mlflow && chown 1000:1000 /data /mlflow

COPY pyproject.toml README.md ./
COPY aihub ./aihub
COPY accounts ./accounts
COPY projects ./projects
COPY experiments ./experiments
COPY docs_hub ./docs_hub
RUN pip install uv==0.13.9 && uv pip install --system .
COPY . .
# AIHUB_BUILD_ONLY gives this one step a throwaway key; the web, worker and beat refuse to
# start with it, so the image itself carries no SECRET_KEY.
RUN AIHUB_BUILD_ONLY=true python manage.py collectstatic --noinput

USER 1000:1000
EXPOSE 8000
ENTRYPOINT ["/app/docker-entrypoint.sh"]
CMD ["web"]
