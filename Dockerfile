# Production image of povertyapp: gunicorn serves the site (static files through whitenoise); the same image
# runs the Celery worker and beat (docker-compose.yml). All settings come from the environment (.env.example).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBUG=0 \
    MEDIA_ROOT=/data/media

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them: exactly the pins of requirements.lock
# (production's share of the lock files, `make lock`), each file checked against its hash. The project itself
# ships no package: the code runs from /app.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY . .
RUN useradd --system --no-create-home --home-dir /app povertyapp \
    && mkdir -p /app/staticfiles /data/media \
    && chown povertyapp /app/staticfiles /data/media
USER povertyapp

EXPOSE 8000
CMD ["gunicorn", "povertyapp.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
