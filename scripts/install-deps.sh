#!/usr/bin/env bash
# Installs what Dovetail's tests and demo need from Debian's packages, when missing:
# Postgres and MariaDB servers and clients (for the private test servers), kcat, sysbench
# (the MariaDB sink benchmark's workload), and the
# independent Avro decoder (python3-avro + python3-confluent-kafka, seen by /usr/bin/python3
# only).
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
ls /usr/lib/postgresql/*/bin/pg_recvlogical >/dev/null 2>&1 || need+=(postgresql-client)
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v sysbench >/dev/null 2>&1 || need+=(sysbench) # bench/mysql-sink.sh's workload
/usr/bin/python3 -c 'import avro' >/dev/null 2>&1 || need+=(python3-avro)
/usr/bin/python3 -c 'import confluent_kafka' >/dev/null 2>&1 || need+=(python3-confluent-kafka)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${need[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
