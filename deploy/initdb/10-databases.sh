#!/usr/bin/env bash
# First start of the compose PostgreSQL: two databases, never shared (ours is the source of truth; Prefect's
# holds run history only).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE ROLE jiaodong LOGIN PASSWORD '${JIAODONG_DB_PASSWORD}';
CREATE DATABASE jiaodong OWNER jiaodong;
CREATE ROLE prefect LOGIN PASSWORD '${PREFECT_DB_PASSWORD}';
CREATE DATABASE prefect OWNER prefect;
SQL
