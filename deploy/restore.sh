#!/bin/sh
# Restore an AI Hub backup made by deploy/backup.sh into an EMPTY database and the
# attachments folder.
#
#   createdb -h HOST -U USER aihub_restored      # or your provider's console
#   DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/aihub_restored AIHUB_DATA_DIR=/data \
#     deploy/restore.sh /backups/aihub-20261202T060000Z
#
# Stop the web, worker and beat first (kubectl scale --replicas=0, docker compose stop),
# restore, then start them: `migrate` (the migration Job) brings an older backup forward.
# The database must be empty: the script refuses one that already holds AI Hub tables.
# pg_restore runs in one transaction, so a failure leaves the database empty again.
set -eu

src="${1:?usage: deploy/restore.sh BACKUP_DIR (with DATABASE_URL and AIHUB_DATA_DIR set)}"
: "${DATABASE_URL:?set DATABASE_URL to the (empty) database to restore into}"
attachments="${DOCS_ATTACHMENT_ROOT:-${AIHUB_DATA_DIR:-data}/attachments}"

for file in aihub.dump attachments.tar.gz; do
  [ -f "$src/$file" ] || { echo "restore: $src/$file is missing" >&2; exit 1; }
done
if [ -n "$(psql "$DATABASE_URL" -XAtc "SELECT to_regclass('public.django_migrations')")" ]; then
  echo "restore: the database already holds AI Hub tables; restore into a new, empty database" >&2
  exit 1
fi

pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$DATABASE_URL" \
  "$src/aihub.dump"
mkdir -p "$attachments"
tar -xzf "$src/attachments.tar.gz" -C "$attachments"

echo "restore: database restored and attachments unpacked into $attachments"
