# The scale (`bench/run.sh sqlite scale`) and two-node (`bench/run.sh nodes`) scenarios of issue
# 14, sourced by bench/run.sh after its builds: its server lifecycle, driver and knobs are used
# here (see the header of bench/run.sh for the knobs).
SCALE_USERS=${BENCH_SCALE_USERS:-1000000}
SCALE_SMALL=${BENCH_SCALE_SMALL:-1000}
SCALE_HOT=${BENCH_SCALE_HOT:-200}
SCALE_LIST_MS=${BENCH_SCALE_LIST_MS:-3000}
SCALE_SEED_BATCH=${BENCH_SCALE_SEED_BATCH:-1000}

declare -A SCALE_RES
SCALE_KEYS=()
SCALE_LABELS=()
# Run the driver; keep "req/s p50 p99 errors" of its RESULT line under key@phase.
scale_measure() { # key label phase driver-args…
  local key=$1 label=$2 phase=$3 out _tag ok us p50 p99 errs
  shift 3
  out=$("$DRIVER" "$@" | grep '^RESULT')
  read -r _tag ok us p50 p99 errs <<<"$out"
  SCALE_RES[$key@$phase]=$(awk -v n="$ok" -v us="$us" -v a="$p50" -v b="$p99" -v e="$errs" \
    'BEGIN {printf "%.1f|%.2f|%.2f|%d|%d", n * 1e6 / us, a / 1000, b / 1000, e, n}')
  [[ " ${SCALE_KEYS[*]} " == *" $key "* ]] || { SCALE_KEYS+=("$key"); SCALE_LABELS+=("$label"); }
  log "  [$phase] $label: ${SCALE_RES[$key@$phase]} (req/s|p50|p99|errors|count)"
}

# A bound measured in phase $3: its rate in the req/s column, what it was measured from after it.
scale_bound() { # key label phase rate note
  SCALE_RES[$1@$3]="$4|$5||"
  [[ " ${SCALE_KEYS[*]} " == *" $1 "* ]] || { SCALE_KEYS+=("$1"); SCALE_LABELS+=("$2"); }
  log "  [$3] $2: $4 ($5)"
}

# Seed the pool up to $1 users (from $2), then measure every row under phase $1.
scale_phase() { # users from
  local users=$1 from=$2 seed secs conc=1 load
  [ -z "$PG_DB" ] || conc=4
  conc=${BENCH_SCALE_SEED_CONCURRENCY:-$conc}
  seed=$(env "${DB_ENV[@]}" PORTCULLIS_DATA_DIR="$WORK/data" RUST_LOG=warn "$DRIVER" scale-seed --pool "$POOL" \
    --from "$from" --to "$users" --password "$PASSWORD" --batch "$SCALE_SEED_BATCH" --concurrency "$conc")
  eval "$seed"
  secs=$(awk -v u="$SEED_US" 'BEGIN {printf "%.1f", u / 1e6}')
  SCALE_SEED+=("$((users - from)) users ($from → $users) in **$secs s** ($(awk -v n="$((users - from))" -v u="$SEED_US" 'BEGIN {printf "%.0f", n * 1e6 / u}') users/s, $SCALE_SEED_BATCH a transaction, $conc at a time)$([ -z "$ANALYZE_US" ] || echo ", then VACUUM ANALYZE $(ms "$ANALYZE_US") ms")")
  log "  seeded $from → $users in $secs s"
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  SCALE_LOAD+=("$users users: $load")
  # The bounds, measured now with the server idle: one argon2 verify, one RS256 signature.
  local argon _tag verify_us verify_min params parallel rs _rs sign_us sign_rate
  argon=$("$DRIVER" argon2 --samples 15)
  read -r _tag verify_us verify_min params parallel <<<"$argon"
  rs=$("$DRIVER" rs256 --samples 300)
  read -r _rs sign_us sign_rate <<<"$rs"
  scale_bound argon2 "bound: $CORES cores ÷ the median argon2id verify ($params), sign-ins/s" "$users" \
    "$(awk -v c="$CORES" -v us="$verify_us" 'BEGIN {printf "%.1f", c * 1e6 / us}')" "$(ms "$verify_us") ms a verify (fastest $(ms "$verify_min"))"
  scale_bound rs256 "bound: RS256 signatures/s on all $CORES cores ÷ 2 (access + ID token), refreshes/s" "$users" \
    "$(awk -v r="$sign_rate" 'BEGIN {printf "%.0f", r / 2}')" "$(ms "$sign_us") ms a signature"
  local d=$((DURATION * 1000)) w=$((WARMUP * 1000)) api=(--base "$BASE" --key "$ACCESS_KEY" --secret "$SECRET" --pool "$POOL")
  local sign=(--base "$BASE" --pool "$POOL" --client-id "$APP_ID" --password "$PASSWORD" --users "$users" --hot "$SCALE_HOT"
    --concurrency "$LOGIN_CONNECTIONS" --warmup-ms "$w" --duration-ms "$d")
  scale_measure hot "sign-in, USER_PASSWORD_AUTH, $SCALE_HOT users spread over the pool, each signed in before" "$users" scale-logins "${sign[@]}" --mode hot
  scale_measure cold "sign-in, USER_PASSWORD_AUTH, first sign-in of each user (+ SRP verifier derived and stored)" "$users" scale-logins "${sign[@]}" --mode cold
  scale_measure srp "sign-in, USER_SRP_AUTH + PASSWORD_VERIFIER, the same $SCALE_HOT users" "$users" scale-logins "${sign[@]}" --mode srp
  local list=("${api[@]}" --concurrency 4 --warmup-ms 1000 --duration-ms "$SCALE_LIST_MS")
  scale_measure first "ListUsers, no filter, first page (60)" "$users" scale-list "${list[@]}" --filter "" --rows 60
  scale_measure deep "ListUsers, no filter, the page after half the pool (PaginationToken)" "$users" scale-list "${list[@]}" --filter "" --token "$DEEP_TOKEN" --rows 60
  scale_measure ten "ListUsers \`email ^= \"user…\"\`, ten users match" "$users" scale-list "${list[@]}" --filter "email ^= \"$TEN_PREFIX\"" --rows 10
  scale_measure none "ListUsers \`email ^= \"nobody\"\`, none match" "$users" scale-list "${list[@]}" --filter 'email ^= "nobody"' --rows 0
  scale_measure many "ListUsers \`email ^= \"user\"\`, every user matches" "$users" scale-list "${list[@]}" --filter 'email ^= "user"' --rows 60
  scale_measure username "ListUsers \`username = \"…\"\`" "$users" scale-list "${list[@]}" --filter "username = \"$MIDDLE_USER\"" --rows 1
  scale_measure sub "ListUsers \`sub = \"…\"\`" "$users" scale-list "${list[@]}" --filter "sub = \"$MIDDLE_SUB\"" --rows 1
  scale_measure confirmed "ListUsers \`cognito:user_status = \"CONFIRMED\"\`, every user" "$users" scale-list "${list[@]}" --filter 'cognito:user_status = "CONFIRMED"' --rows 60
  scale_measure unconfirmed "ListUsers \`cognito:user_status = \"UNCONFIRMED\"\`, none" "$users" scale-list "${list[@]}" --filter 'cognito:user_status = "UNCONFIRMED"' --rows 0
  scale_measure disabled "ListUsers \`status = \"Disabled\"\`, none" "$users" scale-list "${list[@]}" --filter 'status = "Disabled"' --rows 0
  scale_measure refresh "GetTokensFromRefreshToken chains, rotation on, $CONNECTIONS at a time" "$users" scale-refresh "${api[@]}" \
    --password "$PASSWORD" --users "$users" --concurrency "$CONNECTIONS" --warmup-ms "$w" --duration-ms "$d"
}

bench_scale() { # backend
  local backend=$1 name fixtures peak_kib size
  [ "$backend" = sqlite ] && name=SQLite || name=PostgreSQL
  log "== $name: $SCALE_SMALL users, then $SCALE_USERS"
  LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  start_server "$backend"
  fixtures=$("$DRIVER" setup --base "$BASE" --key "$ACCESS_KEY" --secret "$SECRET" --users 1 --password "$PASSWORD")
  eval "$fixtures"
  SCALE_SEED=()
  SCALE_LOAD=()
  SCALE_RES=()
  SCALE_KEYS=()
  SCALE_LABELS=()
  scale_phase "$SCALE_SMALL" 0
  scale_phase "$SCALE_USERS" "$SCALE_SMALL"
  peak_kib=$(hwm_kib)
  if [ "$backend" = postgres ]; then
    size=$(psql "$PG_URL/$PG_DB" -tAc "SELECT pg_database_size(current_database())" | awk '{printf "%.0f MiB", $1 / 1048576}')
  else
    size=$(awk -v d="$(stat -c %s "$WORK/data/portcullis.db")" 'BEGIN {printf "%.0f MiB", d / 1048576}')
  fi
  stop_server

  echo
  echo "### $name, $SCALE_SMALL users, then $SCALE_USERS"
  echo
  echo "- load average at the start: $LOAD_START; before each phase's measurements: ${SCALE_LOAD[*]}"
  for s in "${SCALE_SEED[@]}"; do echo "- seeded $s"; done
  echo "- database after the run: $size; server peak RSS (VmHWM) $(awk -v k="$peak_kib" 'BEGIN {printf "%.1f", k / 1024}') MiB"
  echo "- the bounds are measured in each phase before its rows, with the server idle (\`flows argon2\`, \`flows rs256\`: 2048-bit RSA through aws-lc-rs, as the server signs)"
  echo
  echo "| scenario | $SCALE_SMALL users: req/s | p50 ms | p99 ms | errors | $SCALE_USERS users: req/s | p50 ms | p99 ms | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  local i k a b
  for i in "${!SCALE_KEYS[@]}"; do
    k=${SCALE_KEYS[$i]}
    IFS='|' read -r -a a <<<"${SCALE_RES[$k@$SCALE_SMALL]:-|||}"
    IFS='|' read -r -a b <<<"${SCALE_RES[$k@$SCALE_USERS]:-|||}"
    echo "| ${SCALE_LABELS[$i]} | ${a[0]-} | ${a[1]-} | ${a[2]-} | ${a[3]-} | ${b[0]-} | ${b[1]-} | ${b[2]-} | ${b[3]-} |"
  done
}

# ------------------------------------------------------------------ two nodes on PostgreSQL
NODE_PIDS=()
stop_nodes() {
  local p
  for p in "${NODE_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  NODE_PIDS=()
  stop_server
}

# A second server on the first one's database, public URL and master key.
start_second_node() {
  PORT_B=$("$DRIVER" port)
  BASE_B=http://127.0.0.1:$PORT_B
  mkdir -p "$WORK/data-b"
  env "${DB_ENV[@]}" PORTCULLIS_MASTER_KEY="$MASTER_KEY" PORTCULLIS_RATE_LIMIT_SIGN_IN=0 PORTCULLIS_LISTEN=127.0.0.1:$PORT_B \
    PORTCULLIS_PUBLIC_URL=$BASE PORTCULLIS_DATA_DIR="$WORK/data-b" PORTCULLIS_ADMIN_ACCESS_KEY_ID=$ACCESS_KEY \
    PORTCULLIS_ADMIN_SECRET_ACCESS_KEY="$SECRET" RUST_LOG=warn "$SERVER" serve >"$WORK/server-b.log" 2>&1 &
  NODE_PIDS+=($!)
  for _ in $(seq 1 100); do
    curl -sf "$BASE_B/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "second node did not become ready:"
  cat "$WORK/server-b.log" >&2
  exit 1
}

# wrk against every base URL given at once, each with `conns` connections; prints the summed
# req/s and the worst p50 and p99 of the nodes.
wrk_nodes() { # path conns var=value… -- base…
  local path=$1 conns=$2 vars=() bases=() i pids=() out
  shift 2
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  bases=("$@")
  for i in "${!bases[@]}"; do
    env "${vars[@]}" wrk -t"$THREADS" -c"$conns" -d"${WARMUP}s" --timeout 10s -s bench/scenario.lua "${bases[$i]}$path" >/dev/null &
    pids+=($!)
  done
  wait "${pids[@]}"
  pids=()
  for i in "${!bases[@]}"; do
    env "${vars[@]}" wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" --timeout 10s -s bench/scenario.lua "${bases[$i]}$path" \
      | grep '^RESULT' >"$WORK/wrk-$i" &
    pids+=($!)
  done
  wait "${pids[@]}"
  cat "$WORK"/wrk-* | awk '{r += $2 * 1e6 / $3; e += $6; if ($4 > a) a = $4; if ($5 > b) b = $5}
    END {printf "%.1f %.2f %.2f %d", r, a / 1000, b / 1000, e}'
  rm -f "$WORK"/wrk-*
}

bench_nodes() {
  log "== PostgreSQL: one node, then two"
  LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  MASTER_KEY=$(head -c 32 /dev/urandom | base64)
  EXTRA_ENV=(PORTCULLIS_MASTER_KEY="$MASTER_KEY")
  start_server postgres
  trap stop_nodes EXIT
  local fixtures m2m_basic one_cc one_login two_cc two_login cc login
  fixtures=$("$DRIVER" setup --base "$BASE" --key "$ACCESS_KEY" --secret "$SECRET" --users "$USERS" --password "$PASSWORD")
  eval "$fixtures"
  m2m_basic=$(printf '%s:%s' "$M2M_ID" "$M2M_SECRET" | base64 -w0)
  cc=("/$POOL/oauth2/token" "$CONNECTIONS" WRK_METHOD=POST WRK_CONTENT_TYPE=application/x-www-form-urlencoded
    WRK_AUTHORIZATION="Basic $m2m_basic" WRK_BODY="grant_type=client_credentials&scope=bench%2Fread")
  login=("/" "$LOGIN_CONNECTIONS" WRK_METHOD=POST WRK_CONTENT_TYPE=application/x-amz-json-1.1
    WRK_AMZ_TARGET=AWSCognitoIdentityProviderService.InitiateAuth WRK_USERS="$USERS"
    WRK_BODY="{\"AuthFlow\":\"USER_PASSWORD_AUTH\",\"ClientId\":\"$APP_ID\",\"AuthParameters\":{\"USERNAME\":\"{user}\",\"PASSWORD\":\"$PASSWORD\"}}")
  one_cc=$(wrk_nodes "${cc[@]}" -- "$BASE")
  log "  one node, client_credentials: $one_cc"
  one_login=$(wrk_nodes "${login[@]}" -- "$BASE")
  log "  one node, password sign-ins: $one_login"
  start_second_node
  # Half the connections on each node: the same load generator, split across two servers.
  cc[1]=$((CONNECTIONS / 2))
  login[1]=$((LOGIN_CONNECTIONS / 2))
  two_cc=$(wrk_nodes "${cc[@]}" -- "$BASE" "$BASE_B")
  log "  two nodes, client_credentials: $two_cc"
  two_login=$(wrk_nodes "${login[@]}" -- "$BASE" "$BASE_B")
  log "  two nodes, password sign-ins: $two_login"
  local hwm_a hwm_b
  hwm_a=$(hwm_kib)
  hwm_b=$(awk '/^VmHWM/ {print $2}' "/proc/${NODE_PIDS[0]}/status")
  stop_nodes

  echo
  echo "### PostgreSQL, one node against two"
  echo
  echo "Load average at the start: $LOAD_START. Both nodes, PostgreSQL and wrk share the machine's $CORES cores."
  echo
  echo "| scenario | nodes | connections | req/s (sum) | p50 ms (worst node) | p99 ms (worst node) | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  local r
  for r in "client_credentials grant|1|$CONNECTIONS|$one_cc" "client_credentials grant|2|$((CONNECTIONS / 2)) each|$two_cc" \
    "password sign-ins (USER_PASSWORD_AUTH)|1|$LOGIN_CONNECTIONS|$one_login" "password sign-ins (USER_PASSWORD_AUTH)|2|$((LOGIN_CONNECTIONS / 2)) each|$two_login"; do
    IFS='|' read -r l n c v <<<"$r"
    read -r rate p50 p99 e <<<"$v"
    echo "| $l | $n | $c | $rate | $p50 | $p99 | $e |"
  done
  echo
  echo "- peak RSS (VmHWM): node A $(awk -v k="$hwm_a" 'BEGIN {printf "%.1f", k / 1024}') MiB, node B $(awk -v k="$hwm_b" 'BEGIN {printf "%.1f", k / 1024}') MiB"
}

echo "## Portcullis benchmark: scale (issue 14)"
echo
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (+ local changes)')"
echo "- machine: $CORES cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), load average before: $(cut -d' ' -f1-3 /proc/loadavg); the load generator runs on the same cores"
if [ "$SCENARIO" = nodes ]; then
  echo "- $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $THREADS thread(s) per node; ${DURATION}s measured per row after ${WARMUP}s warm-up; $USERS users"
  bench_nodes
else
  echo "- ${DURATION}s measured per sign-in and refresh row after ${WARMUP}s unmeasured ($LOGIN_CONNECTIONS sign-in workers, $CONNECTIONS refresh chains); ListUsers rows ${SCALE_LIST_MS} ms after 1 s, 4 workers, Limit 60, every answer checked"
  for b in "${BACKENDS[@]}"; do
    bench_scale "$b"
  done
fi
