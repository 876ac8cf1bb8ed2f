# The import/export scenario (`bench/run.sh sqlite transfer`, issue 15), sourced by bench/run.sh
# after its builds: its server lifecycle, driver and knobs are used here. Per backend: a user
# import job of BENCH_TRANSFER_USERS users whose CSV carries password hashes (bcrypt, scrypt,
# PBKDF2, argon2id), driven through the API as Cognito's guide does (`flows transfer-import`),
# then sign-ins of imported users with their old password, then `portcullis users export` of the
# pool as CSV with hashes and as JSON lines, each line counted.
TRANSFER_USERS=${BENCH_TRANSFER_USERS:-100000}

# Wall time (µs) and peak RSS (KiB) of one export to $WORK/export.$1: "us kib lines bytes".
transfer_export() { # format [flag]
  local out="$WORK/export.$1" t0 t1 kib
  t0=$(date +%s%N)
  kib=$(env "${DB_ENV[@]}" PORTCULLIS_DATA_DIR="$WORK/data" RUST_LOG=warn /usr/bin/time -f %M \
    "$SERVER" users export --pool "$POOL" --format "$1" ${2:+"$2"} --output "$out" 2>&1 >/dev/null | tail -1)
  t1=$(date +%s%N)
  echo "$(((t1 - t0) / 1000)) $kib $(wc -l <"$out") $(stat -c %s "$out")"
}

bench_transfer() { # backend
  local backend=$1 name out hwm_before peak_kib csv jsonl us kib lines bytes
  [ "$backend" = sqlite ] && name=SQLite || name=PostgreSQL
  log "== $name: import of $TRANSFER_USERS users with hashes, then export"
  local load=$(cut -d' ' -f1-3 /proc/loadavg)
  start_server "$backend"
  hwm_before=$(hwm_kib)
  out=$("$DRIVER" transfer-import --base "$BASE" --key "$ACCESS_KEY" --secret "$SECRET" --users "$TRANSFER_USERS" --password "$PASSWORD")
  eval "$out"
  peak_kib=$(hwm_kib)
  csv=$(transfer_export csv --include-hashes)
  jsonl=$(transfer_export jsonl)
  read -r us kib lines bytes <<<"$csv"
  [ "$lines" -eq $((TRANSFER_USERS + 1)) ] || { log "CSV export has $lines lines, expected $((TRANSFER_USERS + 1))"; exit 1; }
  head -1 "$WORK/export.csv" | grep -q ',password_hash' || { log "CSV export has no password_hash column"; exit 1; }
  local csv_row="| \`users export --format csv --include-hashes\` | $(ms "$us") ms | $(awk -v n="$TRANSFER_USERS" -v u="$us" 'BEGIN {printf "%.0f", n * 1e6 / u}') | $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}') MB | $(awk -v k="$kib" 'BEGIN {printf "%.1f", k / 1024}') MiB |"
  read -r us kib lines bytes <<<"$jsonl"
  [ "$lines" -eq "$TRANSFER_USERS" ] || { log "JSON lines export has $lines lines, expected $TRANSFER_USERS"; exit 1; }
  local jsonl_row="| \`users export --format jsonl\` | $(ms "$us") ms | $(awk -v n="$TRANSFER_USERS" -v u="$us" 'BEGIN {printf "%.0f", n * 1e6 / u}') | $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}') MB | $(awk -v k="$kib" 'BEGIN {printf "%.1f", k / 1024}') MiB |"
  stop_server

  echo
  echo "### $name, $TRANSFER_USERS users"
  echo
  echo "- load average at the start: $load"
  echo "- CSV of $(awk -v b="$CSV_BYTES" 'BEGIN {printf "%.1f", b / 1e6}') MB, a quarter each bcrypt (cost 10), scrypt (ln=14), PBKDF2-SHA256 (29,000 rounds), argon2id (m=19456, t=2); $(ms "$HASHING_US") ms to make the $((4 * 16)) distinct hashes (not counted)"
  echo "- server peak RSS (VmHWM): $(awk -v k="$hwm_before" 'BEGIN {printf "%.1f", k / 1024}') MiB before the import, $(awk -v k="$peak_kib" 'BEGIN {printf "%.1f", k / 1024}') MiB after it and the sign-ins"
  echo
  echo "| step | time | users/s | size | peak RSS of the process |"
  echo "|---|---:|---:|---:|---:|"
  echo "| upload (PUT to the pre-signed URL) | $(ms "$UPLOAD_US") ms | | $(awk -v b="$CSV_BYTES" 'BEGIN {printf "%.1f", b / 1e6}') MB | (server) |"
  echo "| import job: StartUserImportJob → Succeeded, every row imported | $(ms "$IMPORT_US") ms | $(awk -v n="$TRANSFER_USERS" -v u="$IMPORT_US" 'BEGIN {printf "%.0f", n * 1e6 / u}') | | (server) |"
  echo "| first sign-in of an imported user (old hash checked, re-hashed to argon2id + SRP verifier), median of $SIGN_INS | $(ms "$FIRST_SIGN_IN_US") ms | | | |"
  echo "| the same user's second sign-in (argon2id), median of $SIGN_INS | $(ms "$SECOND_SIGN_IN_US") ms | | | |"
  echo "$csv_row"
  echo "$jsonl_row"
}

echo "## Portcullis benchmark: user import and export"
echo
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (+ local changes)')"
echo "- machine: $CORES cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)); release build; the driver (\`flows transfer-import\`) and the export CLI run on the same cores"
for b in "${BACKENDS[@]}"; do
  bench_transfer "$b"
done
