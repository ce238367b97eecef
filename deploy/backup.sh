#!/bin/sh
# Back up AI Hub: the PostgreSQL database and the doc attachments folder.
#
#   DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/aihub AIHUB_DATA_DIR=/data \
#     deploy/backup.sh /backups/aihub-$(date -u +%Y%m%dT%H%M%SZ)
#
# Writes into that folder (created if missing):
#   aihub.dump           pg_dump's custom format (compressed; deploy/restore.sh or pg_restore reads it)
#   attachments.tar.gz   the attachments folder (DOCS_ATTACHMENT_ROOT, default AIHUB_DATA_DIR/attachments)
# The database is dumped first and the files second, so every attachment the dump names is
# in the archive (a file uploaded in between is an unused extra). Needs pg_dump of the
# server's major version or newer, and tar. Runs while AI Hub serves: pg_dump reads one
# consistent snapshot.
set -eu

dest="${1:?usage: deploy/backup.sh DEST_DIR (with DATABASE_URL and AIHUB_DATA_DIR set)}"
: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
attachments="${DOCS_ATTACHMENT_ROOT:-${AIHUB_DATA_DIR:-data}/attachments}"

mkdir -p "$dest"
pg_dump --format=custom --no-owner --no-privileges --file="$dest/aihub.dump.partial" "$DATABASE_URL"
mv "$dest/aihub.dump.partial" "$dest/aihub.dump"

if [ -d "$attachments" ]; then
  tar -czf "$dest/attachments.tar.gz.partial" -C "$attachments" .
else
  echo "backup: no attachments folder at $attachments (nothing uploaded yet?): writing an empty archive" >&2
  tar -czf "$dest/attachments.tar.gz.partial" -T /dev/null
fi
mv "$dest/attachments.tar.gz.partial" "$dest/attachments.tar.gz"

echo "backup: wrote $dest/aihub.dump and $dest/attachments.tar.gz"
