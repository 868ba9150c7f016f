#!/bin/sh
# Run once by the postgres image on a new data volume (docker-entrypoint-initdb.d) as its superuser.
# Creates the two logins the gateway uses (SECURITY.md "Database roles"): the migration owner, which
# owns the database and every table, and the runtime role, a member of marac_app that owns nothing.
# Neither is a superuser. Passwords come from the environment (compose.yaml).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_pw="$MARAC_OWNER_PASSWORD" -v runtime_pw="$MARAC_RUNTIME_PASSWORD" <<'SQL'
CREATE ROLE marac_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_pw';
CREATE ROLE marac_app NOLOGIN;
CREATE ROLE marac_gateway LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE marac_app PASSWORD :'runtime_pw';
CREATE DATABASE marac OWNER marac_owner;
SQL
