#!/usr/bin/env bash
# Bootstrap a LAKSA-GIS development / CI machine (Debian 12, no systemd).
#
# Usage: bash scripts/bootstrap.sh <command> [options]
#
#   system [--browser]  apt-install what is missing (PostgreSQL 15 + PostGIS 3, GDAL, Redis,
#                       gettext, ffmpeg; Chromium with --browser), make sure a PostgreSQL 15 cluster
#                       exists and is online and that Redis answers PING.
#   venv                create .venv (if missing) and pip-install requirements.txt when it is
#                       newer than .venv/.requirements.stamp.
#   db                  create role and database `laksa` (as the postgres OS user, so that it
#                       works with peer auth), enable PostGIS in `laksa` and in `template1`,
#                       and make sure password login over TCP to 127.0.0.1 works.
#
# Every command is idempotent and cheap when there is nothing to do, because the Makefile runs
# all of them on every `make setup` / `make test` (CI gets a fresh machine each run).
#
# Environment overrides (defaults in brackets):
#   PG_VERSION [15]  PGPORT [5432]  PG_SOCKET_DIR [/var/run/postgresql]  REDIS_PORT [6379]
#   LAKSA_DB_NAME [laksa]  LAKSA_DB_USER [laksa]  LAKSA_DB_PASSWORD [laksa]  PYTHON [python3]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PG_VERSION="${PG_VERSION:-15}"
PGPORT="${PGPORT:-5432}"
PG_SOCKET_DIR="${PG_SOCKET_DIR:-/var/run/postgresql}"
REDIS_PORT="${REDIS_PORT:-6379}"
DB_NAME="${LAKSA_DB_NAME:-laksa}"
DB_USER="${LAKSA_DB_USER:-laksa}"
DB_PASSWORD="${LAKSA_DB_PASSWORD:-laksa}"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
STAMP="$VENV/.requirements.stamp"

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

# Run a command as root (we normally are root; fall back to sudo for a developer laptop).
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# Run psql as the postgres OS user over the Unix socket, so that peer auth is enough. SQL comes
# on stdin or via -c. su without '-' keeps the caller's environment, so PGHOST, PGUSER etc. are
# removed with `env -u`; PGOPTIONS hides the NOTICEs of the IF NOT EXISTS statements; `cd /`
# avoids "could not change directory" when postgres cannot read the repository directory.
pg_admin() {
    local db="$1"; shift
    local cmd=(env -u PGHOST -u PGHOSTADDR -u PGUSER -u PGPASSWORD -u PGDATABASE -u PGSERVICE
               "PGOPTIONS=-c client_min_messages=warning"
               psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PGPORT" -d "$db" "$@")
    if [[ $(id -un) == postgres ]]; then
        (cd / && "${cmd[@]}")
    elif [[ $EUID -eq 0 ]]; then
        (cd / && su postgres -s /bin/bash -c "$(printf '%q ' "${cmd[@]}")")
    else
        (cd / && sudo -u postgres "${cmd[@]}")
    fi
}

pkg_installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == 'install ok installed' ]]
}

# ---------------------------------------------------------------------------------- system --

apt_install_missing() {
    local missing=() pkg
    for pkg in "$@"; do
        pkg_installed "$pkg" || missing+=("$pkg")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "apt: all of [$*] already installed"
        return 0
    fi
    log "apt: installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # LANG/LC_ALL: a cluster that postgresql's postinst creates inherits the locale; without
    # them (stock container images) it would be SQL_ASCII instead of UTF-8.
    as_root env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 LC_ALL=C.UTF-8 apt-get install -y -qq \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
}

# Print "<name> <status>" of the PostgreSQL $PG_VERSION cluster listening on $PGPORT.
# (awk reads all input rather than `exit`ing early: no SIGPIPE for pg_lsclusters + pipefail.)
pg_cluster_on_port() {
    pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v p="$PGPORT" \
        '$1 == v && $3 == p && !found { print $2, $4; found = 1 }'
}

ensure_postgres() {
    command -v pg_lsclusters >/dev/null 2>&1 || die "pg_lsclusters not found (postgresql-common)"
    local line name status
    line="$(pg_cluster_on_port)"
    if [[ -z $line ]]; then
        if pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" { f = 1 } END { exit !f }'; then
            die "PostgreSQL $PG_VERSION cluster 'main' exists but not on port $PGPORT; set PGPORT"
        fi
        log "postgres: creating cluster $PG_VERSION/main on port $PGPORT (UTF-8, C.UTF-8)"
        as_root pg_createcluster "$PG_VERSION" main --port "$PGPORT" \
            --encoding UTF8 --locale C.UTF-8
        line="$(pg_cluster_on_port)"
    fi
    read -r name status <<<"$line"
    if [[ $status != online* ]]; then
        log "postgres: starting cluster $PG_VERSION/$name"
        as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$name" start
    fi
    for _ in $(seq 1 60); do
        if pg_isready -q -h "$PG_SOCKET_DIR" -p "$PGPORT"; then
            log "postgres: cluster $PG_VERSION/$name is accepting connections on port $PGPORT"
            return 0
        fi
        sleep 0.5
    done
    die "PostgreSQL $PG_VERSION/$name did not become ready on port $PGPORT"
}

ensure_redis() {
    if [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; then
        log "redis: answering on 127.0.0.1:$REDIS_PORT"
        return 0
    fi
    log "redis: starting on 127.0.0.1:$REDIS_PORT"
    # No persistence: nothing the app keeps in Redis (channel layer) needs to survive.
    (cd / && redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
        --save "" --appendonly no)
    for _ in $(seq 1 40); do
        [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && {
            log "redis: answering on 127.0.0.1:$REDIS_PORT"
            return 0
        }
        sleep 0.25
    done
    die "Redis did not answer PING on 127.0.0.1:$REDIS_PORT"
}

cmd_system() {
    local browser=0 arg
    for arg in "$@"; do
        case "$arg" in
            --browser) browser=1 ;;
            *) die "system: unknown option $arg" ;;
        esac
    done
    local pkgs=("postgresql-$PG_VERSION" "postgresql-$PG_VERSION-postgis-3" gdal-bin redis-server gettext ffmpeg)
    [[ $browser -eq 1 ]] && pkgs+=(chromium)
    # `python3 -m venv` needs ensurepip, which Debian's own python3 only has with python3-venv.
    if ! "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
        pkgs+=(python3-venv)
    fi
    # Front-end tooling only when the project has a package.json and no npm is on PATH.
    if [[ -f package.json ]] && ! command -v npm >/dev/null 2>&1; then
        pkgs+=(nodejs npm)
    fi
    apt_install_missing "${pkgs[@]}"
    ensure_postgres
    ensure_redis
}

# ------------------------------------------------------------------------------------ venv --

cmd_venv() {
    [[ $# -eq 0 ]] || die "venv: takes no options"
    if [[ -x $VENV/bin/python ]] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        log "venv: $VENV is broken (its base interpreter is gone); recreating"
        rm -rf "$VENV"
    fi
    if [[ ! -x $VENV/bin/python ]]; then
        "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
            || log "venv: warning: $PYTHON is $("$PYTHON" -V 2>&1), the project targets 3.11"
        log "venv: creating $VENV with $("$PYTHON" -V 2>&1)"
        "$PYTHON" -m venv "$VENV"
        rm -f "$STAMP"
    fi
    if [[ ! -f $STAMP || requirements.txt -nt $STAMP ]]; then
        log "venv: pip install -r requirements.txt"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
        touch "$STAMP"
    else
        log "venv: requirements.txt unchanged since last install"
    fi
}

# -------------------------------------------------------------------------------------- db --

tcp_login() {
    PGPASSWORD="$DB_PASSWORD" PGCONNECT_TIMEOUT=5 \
        psql -X -w -h 127.0.0.1 -p "$PGPORT" -U "$DB_USER" -d "$DB_NAME" -Atc 'select 1' 2>&1
}

cmd_db() {
    [[ $# -eq 0 ]] || die "db: takes no options"
    # Names are interpolated into SQL below; keep them to plain identifiers.
    [[ $DB_NAME =~ ^[a-z_][a-z0-9_]*$ && $DB_USER =~ ^[a-z_][a-z0-9_]*$ ]] \
        || die "db: LAKSA_DB_NAME / LAKSA_DB_USER must be plain lower-case identifiers"
    [[ $DB_PASSWORD != *"'"* ]] || die "db: LAKSA_DB_PASSWORD must not contain a single quote"
    pg_isready -q -h "$PG_SOCKET_DIR" -p "$PGPORT" \
        || die "PostgreSQL is not running on port $PGPORT (run: bash scripts/bootstrap.sh system)"

    # Role: create if missing; always (re)assert LOGIN, CREATEDB (pytest-django creates
    # test_<name>) and the password, so the app's default DATABASE_URL keeps working.
    log "db: role $DB_USER"
    pg_admin postgres <<SQL
SET password_encryption = 'scram-sha-256';
SELECT 'CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD ''$DB_PASSWORD'''
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') \gexec
ALTER ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
SQL

    # PostGIS in template1 first (needs a superuser), so every database created from it,
    # including the test database pytest-django creates, already has the extension.
    log "db: postgis in template1"
    pg_admin template1 -c 'CREATE EXTENSION IF NOT EXISTS postgis'

    # CREATE DATABASE cannot run in a transaction/DO block; \gexec makes it conditional.
    log "db: database $DB_NAME"
    pg_admin postgres <<SQL
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME') \gexec
SQL
    pg_admin "$DB_NAME" -c 'CREATE EXTENSION IF NOT EXISTS postgis'
    local enc
    enc="$(pg_admin "$DB_NAME" -Atc 'SHOW server_encoding')"
    [[ $enc == UTF8 ]] || log "db: warning: database $DB_NAME has encoding $enc, not UTF8"

    # TCP password login to 127.0.0.1. Debian's default pg_hba has a scram-sha-256 host line
    # for 127.0.0.1/32 and trust setups just work; only when pg_hba has no line matching
    # 127.0.0.1 at all do we add one (never touching existing lines) and reload.
    local out
    if out="$(tcp_login)"; then
        log "db: TCP login $DB_USER@127.0.0.1:$PGPORT/$DB_NAME works"
        return 0
    fi
    if [[ $out == *"no pg_hba.conf entry"* ]]; then
        local hba
        hba="$(pg_admin postgres -Atc 'SHOW hba_file')"
        log "db: no pg_hba.conf line for 127.0.0.1; adding one to $hba"
        as_root tee -a "$hba" >/dev/null <<HBA

# Added by LAKSA-GIS scripts/bootstrap.sh: password login over TCP from localhost.
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
HBA
        pg_admin postgres -Atc 'SELECT pg_reload_conf()' >/dev/null
        sleep 0.5
        if out="$(tcp_login)"; then
            log "db: TCP login $DB_USER@127.0.0.1:$PGPORT/$DB_NAME works"
            return 0
        fi
    fi
    die "db: cannot log in as $DB_USER to 127.0.0.1:$PGPORT/$DB_NAME with the password: $out
(check listen_addresses and the pg_hba.conf lines that match host 127.0.0.1)"
}

# ------------------------------------------------------------------------------------ main --

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
command="$1"; shift
case "$command" in
    system) cmd_system "$@" ;;
    venv) cmd_venv "$@" ;;
    db) cmd_db "$@" ;;
    -h|--help|help) usage ;;
    *) log "unknown command: $command"; usage ;;
esac
