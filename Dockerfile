FROM python:3.11-slim

# gunicorn listens on all the container's interfaces so that the nginx container can
# reach it; compose.yaml publishes nginx only (deploy/nginx.conf), never this port.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBUG=False \
    BIND=0.0.0.0:8000

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Collect the admin's static files at build time; WhiteNoise serves them.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v0 \
    && useradd --system --uid 10001 --no-create-home app

USER app
# HTTP/1.0 feed answers are spooled to TMPDIR (api/spooling.py): give /tmp
# room for the largest window, or point TMPDIR at a volume.
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "intarget_export.wsgi:application"]
