#!/usr/bin/env bash
# Scale: with N accounts, the time to create one more account, the time until
# `tresor serve` is ready, and its memory, idle and after every account was touched
# (one LMTP delivery each, so every shard database has been opened).
#
#   bench/scale.sh N            e.g. 1000, 10000
#
# Environment: TRESOR_BIN [$HOME/.cache/tresor-target/release/tresor],
#   TRESOR_LMTP_PORT [12025], PARALLEL [4] (concurrent CLI calls for the bulk create).
# Loopback only; everything lives in a temp dir that is removed at exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${TRESOR_BIN:-$HOME/.cache/tresor-target/release/tresor}
n=${1:?usage: scale.sh N}
port=${TRESOR_LMTP_PORT:-12025}
par=${PARALLEL:-4}
work=$(mktemp -d /tmp/tresor-scale.XXXXXX)
cfg=$work/t/config.toml
server=

cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "scale.sh: $*" >&2; exit 1; }
[ -x "$bin" ] || die "no tresor binary at $bin"

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }   # no fork
mem() { awk '/^VmRSS/{r=$2} /^VmHWM/{h=$2} END{printf "VmRSS %.0f MiB, VmHWM %.0f MiB", r/1024, h/1024}' "/proc/$1/status"; }

# start the server; sets ready_ms: ms from exec to the `ready: admin` line on stdout
ready_ms=
start() {
  local t0 line i
  : >"$work/serve.out"
  t0=$(now_ms)
  "$bin" serve --config "$cfg" >>"$work/serve.out" 2>>"$work/serve.err" &
  server=$!
  exec 3<"$work/serve.out"
  for i in $(seq 1 6000); do   # bounded: 60 s
    if IFS= read -r line <&3; then
      [[ $line == "ready: admin"* ]] && { ready_ms=$(( $(now_ms) - t0 )); exec 3<&-; return; }
      continue
    fi
    kill -0 "$server" 2>/dev/null || { tail -5 "$work/serve.err" >&2; die "tresor serve exited"; }
    sleep 0.01
  done
  die "tresor serve not ready after 60 s"
}
stop() { kill -TERM "$server"; wait "$server" 2>/dev/null || true; server=; }

create_one() { echo pass | "$bin" --config "$cfg" account create "$1" --password-stdin >/dev/null; }
latencies() { # label count prefix
  local all=() i t0
  for i in $(seq 1 "$2"); do
    t0=$(now_ms); create_one "$3$i@example.com"; all+=($(( $(now_ms) - t0 )))
  done
  printf '%s\n' "${all[@]}" | sort -n | awk -v label="$1" '{a[NR]=$1} END{printf "%s: median %d ms, max %d ms (n=%d)\n", label, (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[NR], NR}'
}

"$bin" init --data-dir "$work/t" >/dev/null
sed -i -e "s|^listen = \[\"127.0.0.1:24\"\]|listen = [\"127.0.0.1:$port\"]|" \
       -e 's|^listen = \["0.0.0.0:[0-9]*"\]|listen = []|' -e 's|^listen_tls = \[.*\]|listen_tls = []|' "$cfg"
! grep -q '0\.0\.0\.0' "$cfg" || die "config still listens on 0.0.0.0"
echo "machine: $(nproc) cores, $(free -m | awk '/^Mem:/{printf "%.1f GiB", $2/1024}'), kernel $(uname -r); N=$n; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "tresor: checkout $(git -C "$here/.." rev-parse --short HEAD), binary $bin built $(date -u -r "$bin" +%Y-%m-%dT%H:%MZ) (sha256 $(sha256sum "$bin" | cut -c1-12))"

start
t0=$(now_ms)
seq 1 "$n" | xargs -P "$par" -I{} sh -c "echo pass | '$bin' --config '$cfg' account create user{}@example.com --password-stdin >/dev/null" \
  || die "bulk create failed"
el=$(( $(now_ms) - t0 ))
echo "created $n accounts through the admin socket ($par CLI calls in parallel) in $(awk -v ms="$el" -v n="$n" 'BEGIN{printf "%.1f s (%.0f accounts/s)", ms/1000, n*1000/ms}')"
latencies "account create N+1, server running (CLI -> admin socket)" 20 "extra"
stop
latencies "account create N+1, server stopped (CLI opens the store)" 5 "direct"

readies=() idle=()
for _ in 1 2 3; do
  start; readies+=("$ready_ms")
  idle+=("$(mem "$server")")
  stop
done
printf '%s\n' "${readies[@]}" | sort -n | awk '{a[NR]=$1} END{printf "serve start -> ready: admin: median %d ms", a[2]}'
echo " (runs: ${readies[*]} ms)"
for i in 0 1 2; do echo "  right after ready, run $((i + 1)): ${idle[$i]}"; done
echo "shard databases on disk: $(ls "$work/t/data/shards" | wc -l); data dir: $(du -sh "$work/t/data" | cut -f1)"

start
echo "before the deliveries: $(mem "$server")"
t0=$(now_ms)
python3 - "$port" "$n" <<'PY'
import smtplib, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
logins = ["user%d@example.com" % i for i in range(1, n + 1)]
logins += ["extra%d@example.com" % i for i in range(1, 21)] + ["direct%d@example.com" % i for i in range(1, 6)]
c = smtplib.LMTP("127.0.0.1", port, timeout=60)
c.ehlo("scale-bench.localhost")
msg = b"From: bench@example.org\r\nTo: someone@example.com\r\nSubject: hello\r\n\r\none message per account\r\n"
bad, deadline = 0, time.monotonic() + 1800
for rcpt in logins:
    if time.monotonic() > deadline:
        print("aborted after 1800 s"); break
    try:
        bad += len(c.sendmail("bench@example.org", [rcpt], msg))
    except smtplib.SMTPException as e:
        bad += 1
        if bad <= 3: print("error: %s: %s" % (rcpt, e))
        c.rset()
c.quit()
print("delivered one message to each of %d accounts, %d refused" % (len(logins), bad))
PY
el=$(( $(now_ms) - t0 ))
echo "one delivery to every account (1 connection, sequential): $(awk -v ms="$el" 'BEGIN{printf "%.1f s", ms/1000}')"
echo "after touching every account: $(mem "$server")"
echo "shard databases on disk: $(ls "$work/t/data/shards" | wc -l), open in the server: $(ls -l /proc/"$server"/fd | grep -o 'shards/[0-9]*/' | sort -u | wc -l) (open_shards = $(sed -n 's/^open_shards = //p' "$cfg")); open files: $(ls /proc/"$server"/fd | wc -l); threads: $(ls /proc/"$server"/task | wc -l)"
echo "data dir: $(du -sh "$work/t/data" | cut -f1)"
for a in user1 "user$n" extra20; do
  echo "  $a@example.com: $("$bin" --config "$cfg" account show "$a@example.com" | grep -E '^messages:' )"
done
stop
echo "server log: $(grep -cE 'WARN|ERROR' "$work/serve.err" || true) warnings/errors"
grep -E 'WARN|ERROR' "$work/serve.err" | head -5 || true
