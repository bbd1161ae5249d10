#!/usr/bin/env bash
# The demo: a private Postgres with a small shop schema and live writes, the `shop` pipeline
# on the embedded Kafka broker and schema registry, and the change events printed decoded as
# they arrive. Ctrl-C stops everything; DEMO_SECONDS=N stops after N seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DOVETAIL_BIN:-bin/dovetail}
[ -x "$bin" ] || go build -o "$bin" ./cmd/dovetail
mkdir -p var
chmod 755 var
pgdir=$PWD/var/demo-pg
pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/pg-server.sh stop "$pgdir" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

port=$(cat "$pgdir/port" 2>/dev/null || echo "")
SHOP_PG_DSN=$(scripts/pg-server.sh start "$pgdir" $port)
export SHOP_PG_DSN
echo "demo postgres: $SHOP_PG_DSN" >&2
psql() { command psql "$SHOP_PG_DSN" -qAtX -v ON_ERROR_STOP=1 "$@"; }
psql <<'SQL'
CREATE TABLE IF NOT EXISTS customers (
  id         serial PRIMARY KEY,
  name       text NOT NULL,
  email      text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS orders (
  id          bigserial PRIMARY KEY,
  customer_id int REFERENCES customers(id),
  status      text NOT NULL DEFAULT 'new',
  amount      numeric(10,2) NOT NULL,
  items       jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO customers (name, email)
SELECT 'customer ' || i, 'c' || i || '@example.com' FROM generate_series(1, 5) i
WHERE NOT EXISTS (SELECT 1 FROM customers);
SQL

"$bin" run -c configs/examples/shop.yaml 2>var/demo-dovetail.log &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fs http://127.0.0.1:8083/readyz >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat var/demo-dovetail.log >&2; exit 1; }
  sleep 0.2
done
echo "dovetail is streaming (log: var/demo-dovetail.log); live writes every second:" >&2

(
  i=0
  while true; do
    i=$((i + 1))
    psql -c "INSERT INTO orders (customer_id, amount, items) VALUES (1 + $i % 5, $i * 1.25, '{\"sku\": \"A-$i\", \"qty\": $((i % 3 + 1))}');" \
         -c "UPDATE orders SET status = 'paid' WHERE id = (SELECT max(id) - 1 FROM orders);" \
         -c "DELETE FROM orders WHERE id = (SELECT min(id) FROM orders) AND (SELECT count(*) FROM orders) > 10;" \
      >/dev/null 2>&1 || exit 0  # the server stops under it when the demo ends
    sleep 1
  done
) &
pids+=($!)

if [ -n "${DEMO_SECONDS:-}" ]; then
  timeout "$DEMO_SECONDS" "$bin" tail -c configs/examples/shop.yaml --follow || true
else
  "$bin" tail -c configs/examples/shop.yaml --follow
fi
