#!/usr/bin/env bash
# Starts the built service with no configuration (embedded database in a fresh DATA_DIR),
# registers, logs in, stops it with SIGTERM and expects a clean exit.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
base="http://127.0.0.1:$port/api/v1"
env -u DATABASE_URL -u REDIS_URL -u JWT_SECRET NODE_ENV=development DATA_DIR="$dir" PORT="$port" HOST=127.0.0.1 \
  node dist/src/main.js >"$dir/server.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 1 60); do
  curl -s -o /dev/null "$base/users/me" && break
  sleep 0.5
done
user="smoke_$RANDOM"
body="{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"smoke-pass-123\",\"confirm_password\":\"smoke-pass-123\"}"
reg=$(curl -s -o "$dir/reg.json" -w '%{http_code}' -H 'Content-Type: application/json' -d "$body" "$base/auth/register")
login=$(curl -s -o "$dir/login.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  -d "{\"username\":\"$user\",\"password\":\"smoke-pass-123\"}" "$base/auth/login")
token=$(node -e 'console.log(require(process.argv[1]).data.access_token)' "$dir/login.json" 2>/dev/null)
me=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/users/me")
# The contract's own client code paths (Python requests, JS fetch) against the built service.
py=python3
"$py" -c 'import requests' 2>/dev/null || { py=/usr/bin/python3; "$py" -c 'import requests' 2>/dev/null || \
  { apt-get install -y -qq python3-requests >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq python3-requests; } >/dev/null 2>&1; }; }
BASE_URL="http://127.0.0.1:$port" USERNAME="$user" PASSWORD=smoke-pass-123 "$py" test/clients/seed_client.py
python_client=$?
BASE_URL="http://127.0.0.1:$port" USERNAME="$user" PASSWORD=smoke-pass-123 node test/clients/seed-client.mjs
js_client=$?
kill -TERM "$pid"
wait "$pid"
exit_code=$?
trap - EXIT
grep -q "embedded PGlite" "$dir/server.log" && db_logged=yes || db_logged=no
echo "smoke: register=$reg login=$login me=$me exit=$exit_code embedded-db-logged=$db_logged python-client=$python_client js-client=$js_client"
if [ "$reg" != 201 ] || [ "$login" != 200 ] || [ "$me" != 200 ] || [ "$exit_code" != 0 ] || [ "$db_logged" != yes ] \
  || [ "$python_client" != 0 ] || [ "$js_client" != 0 ]; then
  echo "--- server log"; cat "$dir/server.log"; rm -rf "$dir"; exit 1
fi

# The process refuses to start on bad configuration and lists every invalid key.
out=$(env -u DATABASE_URL PORT=abc JWT_ACCESS_TTL=soon SMTP_URL=not-a-url DATA_DIR="$dir" node dist/src/main.js 2>&1)
code=$?
listed=$(printf '%s' "$out" | grep -cE '^  - (PORT|JWT_ACCESS_TTL|SMTP_URL):')
echo "smoke: invalid env -> exit=$code, invalid keys listed=$listed/3"
[ "$code" = 1 ] && [ "$listed" = 3 ] || { echo "$out"; rm -rf "$dir"; exit 1; }
out=$(NODE_ENV=production JWT_SECRET=change-me DATABASE_URL=postgres://x@127.0.0.1:1/x node dist/src/main.js 2>&1)
code=$?
echo "smoke: production with a placeholder JWT_SECRET -> exit=$code"
[ "$code" = 1 ] && printf '%s' "$out" | grep -q 'JWT_SECRET' || { echo "$out"; rm -rf "$dir"; exit 1; }
rm -rf "$dir"
