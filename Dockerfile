FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    AIHUB_DATA_DIR=/data STATIC_ROOT=/app/staticfiles MLFLOW_DISABLE_TELEMETRY=true

WORKDIR /app
RUN useradd --create-home --uid 1000 aihub && mkdir -p /data /mlflow && chown aihub /data /mlflow

COPY pyproject.toml README.md ./
COPY aihub ./aihub
COPY accounts ./accounts
COPY projects ./projects
COPY experiments ./experiments
COPY docs_hub ./docs_hub
RUN pip install uv && uv pip install --system .
COPY . .
RUN DEBUG=false SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput

USER aihub
EXPOSE 8000
CMD ["gunicorn", "aihub.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
