#!/usr/bin/env bash
# Portcullis benchmark: throughput, latency and peak RSS of a release build on SQLite and
# PostgreSQL, printed as one markdown table per backend.
#
#   bench/run.sh                  # both backends
#   bench/run.sh sqlite           # or: postgres
#   bench/run.sh admin            # the dashboard scenario instead (below); or: bench/run.sh sqlite admin
#
# Load: Debian's wrk (installed when missing) for the single-request scenarios, through
# bench/scenario.lua; the bench target benches/flows.rs for fixtures, complete code flows and
# SRP sign-ins (its own SRP client), the argon2 and SRP arithmetic timings. Traffic goes to 127.0.0.1 only; every scenario runs for a bounded time.
#
# Knobs (environment):
#   BENCH_DURATION=10            seconds measured per scenario (after BENCH_WARMUP=2 unmeasured)
#   BENCH_CONNECTIONS=32         wrk connections for JWKS, userInfo, client_credentials, refresh
#   BENCH_LOGIN_CONNECTIONS=8    wrk connections for password logins
#   BENCH_FLOW_WORKERS=8         concurrent browsers for code flows
#   BENCH_WRK_THREADS=1          wrk threads
#   BENCH_USERS=16               users in the pool (logins and flows take them in turn)
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server where a fresh database is created and dropped
#   BENCH_SERVER=path            a server binary built before (a before/after comparison) instead of
#                                `cargo build --release`
# The server takes its PORTCULLIS_* settings from the environment. The small profile, whose peak
# RSS the 64 MB line is about: PORTCULLIS_PASSWORD_HASHERS=1 PORTCULLIS_DATABASE_MAX_CONNECTIONS=4
# bench/run.sh sqlite (the argon2 bound then counts one hasher).
#
# The dashboard scenario (`admin`): the server starts with a bootstrap administrator (password
# only: PORTCULLIS_ADMIN_MFA=optional); the driver creates a pool through the API and seeds its
# users straight into the server's database through the library (one precomputed password hash,
# a batch of users a transaction, `flows seed`), signs the administrator in through the system
# pool's hosted UI, and then GETs each dashboard page a fixed number of times, checking every
# answer: the users page, a prefix search matching ten users, one matching none, one matching
# every user, one matching the newest tenth (many matches, none among the older users), and a
# page reached through "Next page" links.
#   BENCH_ADMIN_USERS=100000      users seeded into the pool
#   BENCH_ADMIN_REQUESTS=200      requests measured per page (after BENCH_ADMIN_WARMUP=8 unmeasured)
#   BENCH_ADMIN_CONCURRENCY=4     concurrent requests
#   BENCH_ADMIN_PAGE=100          the page the "Next page" links are followed to (or the last page)
#   BENCH_ADMIN_SEED_CONCURRENCY=8   transactions at a time while seeding
#   BENCH_ADMIN_SEED_BATCH=100       users a transaction while seeding (1: a commit per user, as before)
#
# The scale scenario (`scale`, issue 14; bench/scale.sh): one pool measured with
# BENCH_SCALE_SMALL users, then seeded on to BENCH_SCALE_USERS and measured again in the same run:
# sign-ins (repeat, first and SRP) against the argon2 bound, ListUsers filters and pages,
# refresh chains on a rotating client against the RS256 bound.
#   BENCH_SCALE_USERS=1000000    BENCH_SCALE_SMALL=1000    BENCH_SCALE_HOT=200 (users signed in repeatedly)
#   BENCH_SCALE_LIST_MS=3000     ms measured per ListUsers row (after 1 s unmeasured)
#   BENCH_SCALE_SEED_BATCH=1000  BENCH_SCALE_SEED_CONCURRENCY=1 (SQLite; 4 on PostgreSQL)
# The two-node scenario (`nodes`, PostgreSQL only; bench/scale.sh): client_credentials and
# password sign-ins against one node, then against two nodes sharing the database, public URL
# and master key, wrk on both at once.
# The import/export scenario (`transfer`, issue 15; bench/transfer.sh): an import job of
# BENCH_TRANSFER_USERS=100000 users with password hashes of four formats, sign-ins of imported
# users (first and second), then `portcullis users export` as CSV with hashes and as JSON lines.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
LOGIN_CONNECTIONS=${BENCH_LOGIN_CONNECTIONS:-8}
FLOW_WORKERS=${BENCH_FLOW_WORKERS:-8}
THREADS=${BENCH_WRK_THREADS:-1}
USERS=${BENCH_USERS:-16}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
ADMIN_USERS=${BENCH_ADMIN_USERS:-100000}
ADMIN_REQUESTS=${BENCH_ADMIN_REQUESTS:-200}
ADMIN_WARMUP=${BENCH_ADMIN_WARMUP:-8}
ADMIN_CONCURRENCY=${BENCH_ADMIN_CONCURRENCY:-4}
ADMIN_PAGE=${BENCH_ADMIN_PAGE:-100}
SEED_CONCURRENCY=${BENCH_ADMIN_SEED_CONCURRENCY:-8}
SEED_BATCH=${BENCH_ADMIN_SEED_BATCH:-100}
CORES=$(nproc)
# The server's password hashers (PORTCULLIS_PASSWORD_HASHERS, one per core by default): the
# argon2 bound counts them, and each holds argon2's 19 MiB while sign-ins run.
HASHERS=${PORTCULLIS_PASSWORD_HASHERS:-$CORES}
[ "$HASHERS" = 1 ] && HASHER_WORD=hasher || HASHER_WORD=hashers
PASSWORD='Bench-Horse-9'
ACCESS_KEY=AKIABENCH00000000001
ADMIN_USER=benchadmin
ADMIN_PASSWORD='Bench-Dashboard-9!'

log() { printf '[bench] %s\n' "$*" >&2; }
SCENARIO=default
BACKENDS=()
for a in "$@"; do
  case $a in
    sqlite | postgres) BACKENDS+=("$a") ;;
    admin) SCENARIO=admin ;;
    scale | nodes | transfer) SCENARIO=$a ;;
    *) log "unknown argument $a (sqlite, postgres, admin, scale, nodes or transfer)"; exit 2 ;;
  esac
done
[ ${#BACKENDS[@]} -gt 0 ] || BACKENDS=(sqlite postgres)

# ------------------------------------------------------------------ tools and builds
if { [ "$SCENARIO" = default ] || [ "$SCENARIO" = nodes ]; } && ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk (Debian)"
  apt-get update -q >/dev/null
  apt-get install -y -q wrk >/dev/null
fi
SERVER=${BENCH_SERVER:-target/release/portcullis}
if [ -z "${BENCH_SERVER:-}" ]; then
  log "cargo build --release"
  cargo build --release --bin portcullis >&2
fi
log "cargo bench --bench flows --no-run"
DRIVER=$(cargo bench --bench flows --no-run 2>&1 | tee /dev/stderr | sed -n 's/.*(\(.*flows-[0-9a-f]*\))$/\1/p' | tail -1)
[ -x "$DRIVER" ] || { log "could not find the flows driver executable"; exit 1; }

# ------------------------------------------------------------------ server lifecycle
SERVER_PID=""
WORK=""
PG_DB=""
DB_ENV=()
EXTRA_ENV=()
[ "$SCENARIO" != admin ] || EXTRA_ENV=(PORTCULLIS_ADMIN_USERNAME=$ADMIN_USER PORTCULLIS_ADMIN_PASSWORD="$ADMIN_PASSWORD" PORTCULLIS_ADMIN_MFA=optional)
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
  if [ -n "$PG_DB" ]; then
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    PG_DB=""
  fi
  if [ -n "$WORK" ]; then
    rm -rf "$WORK"
    WORK=""
  fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

ensure_postgres() {
  if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 1; done
  fi
}

start_server() { # backend
  WORK=$(mktemp -d /tmp/portcullis-bench.XXXXXX)
  PORT=$("$DRIVER" port)
  BASE=http://127.0.0.1:$PORT
  SECRET=$(head -c 30 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
  DB_ENV=()
  if [ "$1" = postgres ]; then
    ensure_postgres
    PG_DB=pc_bench_$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
    DB_ENV=(PORTCULLIS_DATABASE_URL="$PG_URL/$PG_DB")
  fi
  # Every request comes from 127.0.0.1: the per-IP sign-in limit would cap the login scenario.
  env "${DB_ENV[@]}" "${EXTRA_ENV[@]}" PORTCULLIS_RATE_LIMIT_SIGN_IN=0 PORTCULLIS_LISTEN=127.0.0.1:$PORT PORTCULLIS_PUBLIC_URL=$BASE PORTCULLIS_DATA_DIR="$WORK/data" \
    PORTCULLIS_ADMIN_ACCESS_KEY_ID=$ACCESS_KEY PORTCULLIS_ADMIN_SECRET_ACCESS_KEY="$SECRET" RUST_LOG=warn \
    "$SERVER" serve >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "$BASE/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  log "server did not become ready:"
  cat "$WORK/server.log" >&2
  exit 1
}

hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status"; }
# The server's CPU time (user + system, clock ticks) so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
TICKS_PER_S=$(getconf CLK_TCK)

# ------------------------------------------------------------------ scenarios
# Each prints "RESULT <ok> <elapsed_us> <p50_us> <p99_us> <errors> <server CPU ticks>", the
# last measured over the measured part only.
wrk_run() { # url connections [VAR=value …]
  local url=$1 conns=$2 c0 out
  shift 2
  env "$@" wrk -t"$THREADS" -c"$conns" -d"${WARMUP}s" --timeout 10s -s bench/scenario.lua "$url" >/dev/null
  c0=$(cpu_ticks)
  out=$(env "$@" wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" --timeout 10s -s bench/scenario.lua "$url" | grep '^RESULT')
  echo "$out $(($(cpu_ticks) - c0))"
}

flows_run() {
  local common=(--base "$BASE" --pool "$POOL" --client-id "$WEB_ID" --client-secret "$WEB_SECRET"
    --password "$PASSWORD" --users "$USERS" --concurrency "$FLOW_WORKERS") c0 out
  "$DRIVER" flows "${common[@]}" --duration-ms $((WARMUP * 1000)) >/dev/null
  c0=$(cpu_ticks)
  out=$("$DRIVER" flows "${common[@]}" --duration-ms $((DURATION * 1000)))
  echo "$out $(($(cpu_ticks) - c0))"
}

# SRP sign-ins (InitiateAuth USER_SRP_AUTH + RespondToAuthChallenge PASSWORD_VERIFIER), from the
# driver's own SRP client, as many workers as wrk has connections for password logins.
srp_run() {
  local common=(--base "$BASE" --pool "$POOL" --client-id "$APP_ID" --password "$PASSWORD" --users "$USERS"
    --concurrency "$LOGIN_CONNECTIONS") c0 out
  "$DRIVER" srp "${common[@]}" --duration-ms $((WARMUP * 1000)) >/dev/null
  c0=$(cpu_ticks)
  out=$("$DRIVER" srp "${common[@]}" --duration-ms $((DURATION * 1000)))
  echo "$out $(($(cpu_ticks) - c0))"
}

ROWS=()
declare -A RATE CPU_MS
LOAD_START=""
add_row() { # key label result
  local key=$1 label=$2 _tag ok us p50 p99 errs ticks rate
  read -r _tag ok us p50 p99 errs ticks <<<"$3"
  rate=$(awk -v n="$ok" -v us="$us" 'BEGIN {printf "%.1f", n * 1e6 / us}')
  RATE[$key]=$rate
  CPU_MS[$key]=$(awk -v t="$ticks" -v hz="$TICKS_PER_S" -v n="$ok" 'BEGIN {printf "%.3f", n ? t * 1000 / hz / n : 0}')
  ROWS+=("$(awk -v l="$label" -v r="$rate" -v a="$p50" -v b="$p99" -v e="$errs" -v c="${CPU_MS[$key]}" -v h="$(hwm_kib)" \
    'BEGIN {printf "| %s | %s | %.2f | %.2f | %d | %s | %.1f |", l, r, a / 1000, b / 1000, e, c, h / 1024}')")
  log "  $label: $rate/s, p50 $(awk -v a="$p50" 'BEGIN {printf "%.2f", a / 1000}') ms, errors $errs"
}

verdict() { # value op target
  awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {ok = (op == ">=") ? v >= t : v <= t; print ok ? "met" : "**missed**"}'
}

# ------------------------------------------------------------------ ES256 (issue #14)
# A second pool, switched to ES256 with the real CLI before it issues any token, measured with
# the same client_credentials request as the RS256 pool; and the sign-rate micro-measure
# (RSA-2048 against P-256 JWS signatures and verifications per second on one core, with the
# server's key code, the server idle).
es256_setup() {
  local fixtures alg
  fixtures=$("$DRIVER" es256-setup --base "$BASE" --key "$ACCESS_KEY" --secret "$SECRET")
  eval "$fixtures"
  env "${DB_ENV[@]}" PORTCULLIS_DATA_DIR="$WORK/data" RUST_LOG=warn "$SERVER" keys rotate --pool "$ES_POOL" --alg ES256 >&2
  alg=$("$DRIVER" token-alg --base "$BASE" --pool "$ES_POOL" --client-id "$ES_M2M_ID" --client-secret "$ES_M2M_SECRET")
  [ "$alg" = ES256 ] || { log "the ES256 pool signs with $alg"; exit 1; }
}

es256_cc_row() {
  local basic
  es256_setup
  basic=$(printf '%s:%s' "$ES_M2M_ID" "$ES_M2M_SECRET" | base64 -w0)
  add_row cc_es256 "client_credentials grant, ES256 pool" "$(wrk_run "$BASE/$ES_POOL/oauth2/token" "$CONNECTIONS" WRK_METHOD=POST \
    WRK_CONTENT_TYPE=application/x-www-form-urlencoded WRK_AUTHORIZATION="Basic $basic" \
    WRK_BODY="grant_type=client_credentials&scope=bench%2Fread")"
}

SIGN_RATE=""
es256_sign_rate() {
  SIGN_RATE=$("$DRIVER" sign-rate --ms 1000)
  log "  $SIGN_RATE"
}

es256_summary() {
  local _tag rs es rsv esv
  read -r _tag rs es rsv esv <<<"$SIGN_RATE"
  echo "- ES256: client_credentials on a pool switched to ES256 by \`portcullis keys rotate --alg ES256\`:" \
    "${RATE[cc_es256]}/s (${CPU_MS[cc_es256]} ms server CPU each) against ${RATE[cc]}/s on RS256 (${CPU_MS[cc]} ms)." \
    "One core, the server's key code (1 s each): RSA-2048 **$rs signatures/s**, P-256 **$es signatures/s**" \
    "($(awk -v a="$es" -v b="$rs" 'BEGIN {printf "%.1f", b ? a / b : 0}')×); verifications RSA-2048 $rsv/s, P-256 $esv/s."
}

bench_backend() { # backend
  local backend=$1 name
  [ "$backend" = sqlite ] && name=SQLite || name=PostgreSQL
  log "== $name"
  LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  start_server "$backend"
  local fixtures p rss_start
  # KEY=value lines (ids, secrets, tokens; the driver checks they need no quoting).
  fixtures=$("$DRIVER" setup --base "$BASE" --key "$ACCESS_KEY" --secret "$SECRET" --users "$USERS" --password "$PASSWORD")
  eval "$fixtures"
  p="$BASE/$POOL"
  rss_start=$(hwm_kib)
  ROWS=()
  RATE=()
  CPU_MS=()

  add_row jwks "JWKS \`GET /.well-known/jwks.json\`" "$(wrk_run "$p/.well-known/jwks.json" "$CONNECTIONS")"
  add_row userinfo "userInfo \`GET /oauth2/userInfo\` (bearer)" \
    "$(wrk_run "$p/oauth2/userInfo" "$CONNECTIONS" WRK_AUTHORIZATION="Bearer $ACCESS_TOKEN")"
  local m2m_basic web_basic
  m2m_basic=$(printf '%s:%s' "$M2M_ID" "$M2M_SECRET" | base64 -w0)
  web_basic=$(printf '%s:%s' "$WEB_ID" "$WEB_SECRET" | base64 -w0)
  add_row cc "client_credentials grant" "$(wrk_run "$p/oauth2/token" "$CONNECTIONS" WRK_METHOD=POST \
    WRK_CONTENT_TYPE=application/x-www-form-urlencoded WRK_AUTHORIZATION="Basic $m2m_basic" \
    WRK_BODY="grant_type=client_credentials&scope=bench%2Fread")"
  es256_cc_row
  add_row refresh "refresh_token grant (access + ID token)" "$(wrk_run "$p/oauth2/token" "$CONNECTIONS" WRK_METHOD=POST \
    WRK_CONTENT_TYPE=application/x-www-form-urlencoded WRK_AUTHORIZATION="Basic $web_basic" \
    WRK_BODY="grant_type=refresh_token&refresh_token=$REFRESH_TOKEN")"

  # The argon2 bound: one verify's time, measured now (server idle), with the server's hasher.
  local argon _tag verify_us verify_min params parallel bound
  argon=$("$DRIVER" argon2 --samples 15)
  read -r _tag verify_us verify_min params parallel <<<"$argon"
  bound=$(awk -v c="$HASHERS" -v us="$verify_us" 'BEGIN {printf "%.1f", c * 1e6 / us}')
  log "  argon2id verify ($params): median $verify_us us -> bound $bound/s"

  add_row logins "password logins (InitiateAuth USER_PASSWORD_AUTH)" "$(wrk_run "$BASE/" "$LOGIN_CONNECTIONS" \
    WRK_METHOD=POST WRK_CONTENT_TYPE=application/x-amz-json-1.1 \
    WRK_AMZ_TARGET=AWSCognitoIdentityProviderService.InitiateAuth WRK_USERS="$USERS" \
    WRK_BODY="{\"AuthFlow\":\"USER_PASSWORD_AUTH\",\"ClientId\":\"$APP_ID\",\"AuthParameters\":{\"USERNAME\":\"{user}\",\"PASSWORD\":\"$PASSWORD\"}}")"
  add_row flows "complete code flows (authorize → login page → login POST → token), per flow" "$(flows_run)"
  # The SRP arithmetic per sign-in, measured now with the server's code, one at a time.
  local srp_math _srp srp_us srp_min verifier_us
  srp_math=$("$DRIVER" srp-math --samples 50)
  read -r _srp srp_us srp_min verifier_us <<<"$srp_math"
  add_row srp "SRP logins (USER_SRP_AUTH + PASSWORD_VERIFIER), per sign-in" "$(srp_run)"
  es256_sign_rate

  local peak_kib peak_mb login_pct login_pct_fast
  peak_kib=$(hwm_kib)
  peak_mb=$(awk -v k="$peak_kib" 'BEGIN {printf "%.1f", k * 1024 / 1e6}')
  login_pct=$(awk -v r="${RATE[logins]}" -v b="$bound" 'BEGIN {printf "%.0f", 100 * r / b}')
  # The same against the fastest verify: the bound on a machine with nothing else running.
  login_pct_fast=$(awk -v r="${RATE[logins]}" -v c="$HASHERS" -v us="$verify_min" 'BEGIN {printf "%.0f", 100 * r * us / (c * 1e6)}')
  # 64 MB for a server with one hasher; each further one adds its argon2 memory (19 MiB).
  local argon2_mb rss_target
  argon2_mb=$(awk -v h="$HASHERS" 'BEGIN {printf "%.1f", h * 19 * 1048576 / 1e6}')
  rss_target=$(awk -v h="$HASHERS" 'BEGIN {printf "%.1f", 64 + (h - 1) * 19 * 1048576 / 1e6}')
  stop_server

  echo
  echo "### $name"
  echo
  echo "Load average at the start: $LOAD_START."
  echo
  echo "| scenario | req/s | p50 ms | p99 ms | errors | server CPU ms/req | VmHWM after, MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "- argon2 bound: $HASHERS $HASHER_WORD ($CORES cores) ÷ $(awk -v u="$verify_us" 'BEGIN {printf "%.1f", u / 1000}') ms per verify" \
    "(argon2id $params, median of 15 sequential verifies with the server's hasher; fastest $(awk -v u="$verify_min" 'BEGIN {printf "%.1f", u / 1000}') ms)" \
    "= **$bound logins/s**; password logins reached ${RATE[logins]}/s = **$login_pct %** of it" \
    "($login_pct_fast % of the bound from the fastest verify), using ${CPU_MS[logins]} ms of server CPU each." \
    "Argon2 alone on all $CORES cores at once (same pool, no server work): $parallel verifies/s;" \
    "logins reached $(awk -v r="${RATE[logins]}" -v p="$parallel" 'BEGIN {printf "%.0f", 100 * r / p}') % of that."
  echo "- SRP logins: ${RATE[srp]}/s using ${CPU_MS[srp]} ms of server CPU each (two requests, no argon2);" \
    "the SRP arithmetic (B = k·v + g^b, then S = (A·v^u)^b, 3072-bit, constant-time) takes" \
    "$(awk -v u="$srp_us" 'BEGIN {printf "%.2f", u / 1000}') ms per sign-in (fastest $(awk -v u="$srp_min" 'BEGIN {printf "%.2f", u / 1000}') ms)" \
    "against $(awk -v u="$verify_us" 'BEGIN {printf "%.1f", u / 1000}') ms for an argon2 verify; deriving a verifier (g^x) takes $(awk -v u="$verifier_us" 'BEGIN {printf "%.2f", u / 1000}') ms."
  es256_summary
  echo "- peak RSS of the server (VmHWM): **$peak_mb MB** ($(awk -v k="$peak_kib" 'BEGIN {printf "%.1f", k / 1024}') MiB);" \
    "$argon2_mb MB of it is the argon2 memory of $HASHERS $HASHER_WORD at work (19 MiB each, given back when idle);" \
    "after start-up and fixtures $(awk -v k="$rss_start" 'BEGIN {printf "%.1f", k / 1024}') MiB."
  echo
  echo "| target | measured | |"
  echo "|---|---:|---|"
  echo "| logins ≥ 85 % of the argon2 bound | $login_pct % | $(verdict "$login_pct" '>=' 85) |"
  echo "| client_credentials ≥ 1,500/s | ${RATE[cc]} | $(verdict "${RATE[cc]}" '>=' 1500) |"
  echo "| refresh ≥ 800/s | ${RATE[refresh]} | $(verdict "${RATE[refresh]}" '>=' 800) |"
  echo "| userInfo ≥ 8,000/s | ${RATE[userinfo]} | $(verdict "${RATE[userinfo]}" '>=' 8000) |"
  echo "| JWKS ≥ 15,000/s | ${RATE[jwks]} | $(verdict "${RATE[jwks]}" '>=' 15000) |"
  echo "| peak RSS ≤ 64 MB with one hasher, + 19 MiB for each further one ($HASHERS: $rss_target MB) | $peak_mb MB | $(verdict "$peak_mb" '<=' "$rss_target") |"
}

# ------------------------------------------------------------------ the dashboard scenario
ms() { awk -v u="$1" 'BEGIN {printf "%.2f", u / 1000}'; }

# "pid ticks" of each PostgreSQL backend serving the bench database (its CPU is not the server's).
db_ticks() {
  [ -n "$PG_DB" ] || return 0
  local p
  for p in $(psql "$PG_URL/$PG_DB" -tAc "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"); do
    awk -v p="$p" '{print p, $14 + $15}' "/proc/$p/stat" 2>/dev/null || true
  done
}

ADMIN_ROWS=()
admin_row() { # label path rows
  local label=$1 path=$2 rows=$3 c0 d0 db out _tag ok us p50 p99 errs max ticks rate hwm
  d0=$(db_ticks)
  c0=$(cpu_ticks)
  out=$("$DRIVER" admin-load --base "$BASE" --cookie "$ADMIN_COOKIE" --pool "$POOL" --path "$path" --rows "$rows" \
    --requests "$ADMIN_REQUESTS" --warmup "$ADMIN_WARMUP" --concurrency "$ADMIN_CONCURRENCY")
  ticks=$(($(cpu_ticks) - c0))
  # Backends that started during the run count from zero; none ends while the server runs.
  db=$(awk 'NR == FNR {b[$1] = $2; next} {d += $2 - b[$1]} END {print d + 0}' <(echo "$d0") <(db_ticks))
  hwm=$(hwm_kib)
  read -r _tag ok us p50 p99 errs max <<<"$out"
  rate=$(awk -v n="$ok" -v us="$us" 'BEGIN {printf "%.1f", n * 1e6 / us}')
  # The server's CPU over the measured and the warm-up requests, per request.
  ADMIN_ROWS+=("$(awk -v l="$label" -v rows="$rows" -v n="$ok" -v r="$rate" -v a="$p50" -v b="$p99" -v m="$max" -v e="$errs" \
    -v t="$ticks" -v hz="$TICKS_PER_S" -v w="$ADMIN_WARMUP" -v h="$hwm" -v db="$db" -v pg="$PG_DB" \
    'BEGIN {printf "| %s | %d | %d | %s | %.2f | %.2f | %.2f | %d | %.2f | %s | %.1f |", l, rows, n, r, a / 1000, b / 1000, m / 1000, e,
      t * 1000 / hz / (n + w), pg == "" ? "(in the server)" : sprintf("%.2f", db * 1000 / hz / (n + w)), h / 1024}')")
  log "  $label: $rate/s, p50 $(ms "$p50") ms, p99 $(ms "$p99") ms, errors $errs"
}

bench_admin() { # backend
  local backend=$1 name seed session walk size users first_rows hwm_start
  [ "$backend" = sqlite ] && name=SQLite || name=PostgreSQL
  log "== $name: the dashboard with $ADMIN_USERS users"
  LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  start_server "$backend"
  # The driver opens the server's database itself: the same URL and data dir.
  seed=$(env "${DB_ENV[@]}" PORTCULLIS_DATA_DIR="$WORK/data" RUST_LOG=warn "$DRIVER" seed --base "$BASE" \
    --key "$ACCESS_KEY" --secret "$SECRET" --users "$ADMIN_USERS" --password "$PASSWORD" --concurrency "$SEED_CONCURRENCY" --batch "$SEED_BATCH")
  eval "$seed"
  log "  seeded $ADMIN_USERS users in $(awk -v u="$SEED_US" 'BEGIN {printf "%.1f", u / 1e6}') s"
  local stats=""
  [ -z "$ANALYZE_US" ] || stats="; then \`VACUUM ANALYZE\` in $(ms "$ANALYZE_US") ms, as autovacuum would soon after a bulk load"
  if [ "$backend" = postgres ]; then
    size=$(psql "$PG_URL/$PG_DB" -tAc "SELECT pg_database_size(current_database())" | awk '{printf "%.1f MiB", $1 / 1048576}')
  else
    size=$(awk -v d="$(stat -c %s "$WORK/data/portcullis.db")" -v w="$(stat -c %s "$WORK/data/portcullis.db-wal" 2>/dev/null || echo 0)" \
      'BEGIN {printf "%.1f MiB (and a %.1f MiB write-ahead log)", d / 1048576, w / 1048576}')
  fi
  session=$("$DRIVER" admin-session --base "$BASE" --username "$ADMIN_USER" --password "$ADMIN_PASSWORD")
  eval "$session"
  hwm_start=$(hwm_kib)
  users="/admin/pools/$POOL/users"
  walk=$("$DRIVER" admin-walk --base "$BASE" --cookie "$ADMIN_COOKIE" --pool "$POOL" --path "$users" --pages "$ADMIN_PAGE")
  eval "$walk"
  log "  page $WALK_PAGE reached in $(ms "$WALK_US") ms"
  first_rows=$((ADMIN_USERS < 50 ? ADMIN_USERS : 50))
  ADMIN_ROWS=()
  admin_row "users page (first page) \`GET $users\`" "$users" "$first_rows"
  admin_row "search, ten users match: \`?field=email&q=$TEN_PREFIX\`" "$users?field=email&q=$TEN_PREFIX" "$TEN_ROWS"
  admin_row "search, no user matches: \`?field=email&q=nobody\`" "$users?field=email&q=nobody" 0
  admin_row "search, every user matches: \`?field=email&q=user\`" "$users?field=email&q=user" "$ALL_ROWS"
  admin_row "search, the newest tenth match: \`?field=email&q=$LATE_PREFIX\`" "$users?field=email&q=$LATE_PREFIX" "$LATE_ROWS"
  admin_row "page $WALK_PAGE, through \`next\` tokens" "$WALK_PATH" "$WALK_ROWS"
  [ -z "$LAST_TOKEN" ] || admin_row "the last page ($LAST_PAGE), its \`next\` token from ListUsers" \
    "$users?field=email&q=&next=$LAST_TOKEN" "$LAST_ROWS"
  local peak_kib
  peak_kib=$(hwm_kib)
  stop_server

  echo
  echo "### $name, $ADMIN_USERS users"
  echo
  echo "Load average at the start: $LOAD_START."
  echo
  echo "- seed: $ADMIN_USERS users in **$(awk -v u="$SEED_US" 'BEGIN {printf "%.1f s", u / 1e6}')**" \
    "($(awk -v n="$ADMIN_USERS" -v u="$SEED_US" 'BEGIN {printf "%.0f", n * 1e6 / u}') users/s; $SEED_BATCH users a transaction through \`Store::insert_users\`, $SEED_CONCURRENCY transactions at a time)$stats," \
    "database $size afterwards"
  echo "- walk to page $WALK_PAGE: $((WALK_PAGE - 1)) \"Next page\" links followed one after the other in $(ms "$WALK_US") ms (slowest page $(ms "$WALK_MAX_US") ms)"
  echo "- server peak RSS (VmHWM): $(awk -v k="$peak_kib" 'BEGIN {printf "%.1f", k / 1024}') MiB; $(awk -v k="$hwm_start" 'BEGIN {printf "%.1f", k / 1024}') MiB after seeding and the sign-in"
  echo
  echo "| request | users on the page | requests | req/s | p50 ms | p99 ms | max ms | errors | server CPU ms/req | PostgreSQL CPU ms/req | VmHWM after, MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ADMIN_ROWS[@]}"
}

# The scale and two-node scenarios (issue 14).
if [ "$SCENARIO" = scale ] || [ "$SCENARIO" = nodes ]; then
  # shellcheck source=bench/scale.sh
  . bench/scale.sh
  exit 0
fi

# The import/export scenario (issue 15).
if [ "$SCENARIO" = transfer ]; then
  # shellcheck source=bench/transfer.sh
  . bench/transfer.sh
  exit 0
fi

if [ "$SCENARIO" = admin ]; then
  echo "## Portcullis benchmark: the dashboard's users page and search"
  echo
  echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (+ local changes)')"
  echo "- machine: $CORES cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), load average before: $(cut -d' ' -f1-3 /proc/loadavg); the load generator runs on the same cores"
  echo "- $ADMIN_USERS users; per page $ADMIN_REQUESTS requests measured from $ADMIN_CONCURRENCY concurrent workers after $ADMIN_WARMUP unmeasured (benches/flows.rs \`admin-load\`), each answer checked (HTTP 200, the expected number of user rows)"
  for b in "${BACKENDS[@]}"; do
    bench_admin "$b"
  done
  exit 0
fi

echo "## Portcullis benchmark"
echo
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (+ local changes)')"
echo "- machine: $CORES cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), load average before: $(cut -d' ' -f1-3 /proc/loadavg); the load generator runs on the same cores"
echo "- $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2): $THREADS thread(s), $CONNECTIONS connections ($LOGIN_CONNECTIONS for logins); code flows: $FLOW_WORKERS workers (benches/flows.rs); ${DURATION}s measured per scenario after ${WARMUP}s warm-up; $USERS users"
for b in "${BACKENDS[@]}"; do
  bench_backend "$b"
done
