# The image behind docker-compose.yml: the same install as tools/setup, without the dev tools.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md /app/
COPY requirements/constraints.txt /app/requirements/constraints.txt
RUN pip install -c requirements/constraints.txt .
COPY . /app
# Static files are collected at build time with throw-away keys; the real ones come at run time.
RUN CIVIC_PROFILE=production SECRET_KEY="build-only-$(head -c 48 /dev/urandom | base64)" \
    IDENTITY_HASH_KEY="build-only-identity-key-not-used-at-run-time" ALLOWED_HOSTS=build \
    python manage.py collectstatic --no-input -v0
# /app/heads: the published audit heads, on a volume of their own (never the database's).
RUN useradd --create-home civic && mkdir -p /app/var /app/heads && chown -R civic /app/var /app/heads
USER civic
EXPOSE 8000
