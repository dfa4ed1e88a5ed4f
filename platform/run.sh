#!/usr/bin/env bash
# Install, migrate, load demo data, and start web + worker + beat on the embedded defaults
# (SQLite and the filesystem broker). Set DATABASE_URL / CELERY_BROKER_URL to use PostgreSQL/Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
source platform/install.sh

mkdir -p var
[ -s var/secret_key ] || python -c "import secrets; print(secrets.token_urlsafe(64))" > var/secret_key
export SECRET_KEY=${SECRET_KEY:-$(cat var/secret_key)}
export DEBUG=${DEBUG:-0}
# Plain http on the loopback interface; behind TLS in production (platform/DEPLOY.md).
export HTTPS=${HTTPS:-0}
export PORT=${PORT:-8000}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}

python manage.py migrate --noinput -v0
python manage.py collectstatic --noinput -v0
python manage.py seed_demo

echo
echo "  Platform: http://127.0.0.1:${PORT}/   (health: http://127.0.0.1:${PORT}/health/)"
echo "  Stop with Ctrl-C."
echo
exec honcho -f platform/Procfile start
