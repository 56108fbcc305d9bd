#!/usr/bin/env bash
# LMTP delivery throughput, Tresor vs Dovecot, same machine, same run.
#
#   bench/lmtp.sh [MESSAGES] [ROUNDS] [STRACE_MESSAGES]     defaults: 2000 2 200
#
# Each round runs the Dovecot peer (../shared/bench/dovecot-peer.sh: maildir,
# mail_fsync = optimized, i.e. the message file is fsynced before the 250) and then
# Tresor, both from empty, with ../shared/bench/lmtp-bench.py over 1 and 4
# connections, 100 recipients (testuser1..100@localhost). Afterwards the stored
# message counts are checked against what was delivered. A last, separate, short run
# per server counts fsync/fdatasync calls under strace and checks that every
# "250 2.0.0" reply to DATA follows a completed fsync/fdatasync.
#
# Needs: dovecot-imapd dovecot-lmtpd strace (Debian), python3, the shared tools,
# and a release build of tresor ($TRESOR_BIN). Loopback only.
#
# Environment: TRESOR_BIN [$HOME/.cache/tresor-target/release/tresor],
#   SHARED_BENCH [../shared/bench next to the checkout], CORPUS [/tmp/corpus.mbox],
#   TRESOR_LMTP_PORT [12024], PEER_LMTP_PORT [11124], PEER_IMAP_PORT [11243],
#   PEER_FSYNC [optimized] (passed to dovecot-peer.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED_BENCH:-$(cd "$here/../.." && pwd)/shared/bench}
bin=${TRESOR_BIN:-$HOME/.cache/tresor-target/release/tresor}
n=${1:-2000}
rounds=${2:-2}
sn=${3:-200}
corpus=${CORPUS:-/tmp/corpus.mbox}
tport=${TRESOR_LMTP_PORT:-12024}
users=100

work=$(mktemp -d /tmp/tresor-lmtp-bench.XXXXXX)
chmod 755 "$work"   # Dovecot's mail user must reach $PEER_DIR/mail
export PEER_DIR=$work/dovecot PEER_USERS=$users
export PEER_LMTP_PORT=${PEER_LMTP_PORT:-11124} PEER_IMAP_PORT=${PEER_IMAP_PORT:-11243}
export PEER_FSYNC=${PEER_FSYNC:-optimized}
peer=$shared/dovecot-peer.sh
tcfg=$work/tresor/config.toml
server=
tracer=

cleanup() {
  if [ -n "$tracer" ]; then kill -INT "$tracer" 2>/dev/null || true; wait "$tracer" 2>/dev/null || true; fi
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  "$peer" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "lmtp.sh: $*" >&2; exit 1; }
[ -x "$bin" ] || die "no tresor binary at $bin"
command -v dovecot >/dev/null || die "dovecot missing: apt-get install -y dovecot-imapd dovecot-lmtpd"
command -v strace >/dev/null || die "strace missing: apt-get install -y strace"
[ -f "$corpus" ] || python3 "$shared/gen-mbox.py" -o "$corpus" >/dev/null

# ---- servers ---------------------------------------------------------------

tresor_start() {
  rm -rf "$work/tresor"
  "$bin" init --data-dir "$work/tresor" >/dev/null
  # LMTP on our port; nothing else listens (IMAP is not served yet, HTTP not needed)
  sed -i -e "s|^listen = \[\"127.0.0.1:24\"\]|listen = [\"127.0.0.1:$tport\"]|" \
         -e 's|^listen = \["0.0.0.0:[0-9]*"\]|listen = []|' -e 's|^listen_tls = \[.*\]|listen_tls = []|' "$tcfg"
  ! grep -q '0\.0\.0\.0' "$tcfg" || die "config still listens on 0.0.0.0"
  "$bin" serve --config "$tcfg" >"$work/serve.out" 2>"$work/serve.err" &
  server=$!
  local i
  for i in $(seq 1 300); do
    grep -q '^ready: admin' "$work/serve.out" && break
    kill -0 "$server" 2>/dev/null || { cat "$work/serve.err" >&2; die "tresor serve exited"; }
    sleep 0.1
  done
  grep -q '^ready: admin' "$work/serve.out" || die "tresor serve not ready after 30 s"
  seq 1 "$users" | xargs -P 4 -I{} sh -c \
    "echo pass | '$bin' --config '$tcfg' account create testuser{}@localhost --password-stdin >/dev/null"
}

tresor_stop() {
  kill -TERM "$server"; wait "$server" 2>/dev/null || true; server=
}

tresor_count() { # sum of `messages:` over the accounts (server running: admin socket)
  local i m total=0
  for i in $(seq 1 "$users"); do
    m=$("$bin" --config "$tcfg" account show "testuser$i@localhost" | sed -n 's/^messages: //p')
    total=$((total + ${m:-0}))
  done
  echo "$total"
}

dovecot_start() {
  "$peer" reset >/dev/null
  "$peer" start >/dev/null
  server=$(cat "$PEER_DIR/run/master.pid")
}
dovecot_stop() { "$peer" stop >/dev/null; server=; }
dovecot_count() { find "$PEER_DIR/mail" -type f \( -path '*/Maildir/new/*' -o -path '*/Maildir/cur/*' \) | wc -l; }

# ---- runs ------------------------------------------------------------------

bench() { # port -> the two result lines of lmtp-bench.py (1 and 4 connections)
  local rc=0
  python3 "$shared/lmtp-bench.py" 127.0.0.1 "$1" --mbox "$corpus" -n "$n" --connections 1,4 \
    --rcpt 'testuser%d@localhost' --users "$users" >"$work/bench.out" 2>&1 || rc=$?
  grep -E '^connections=|error' "$work/bench.out" | sed 's/^/  /'
  [ "$rc" = 0 ] || echo "  lmtp-bench.py exited $rc"
}

echo "machine: $(nproc) cores, $(free -m | awk '/^Mem:/{printf "%.1f GiB", $2/1024}'), kernel $(uname -r)"
echo "tresor: checkout $(git -C "$here/.." rev-parse --short HEAD), binary $bin built $(date -u -r "$bin" +%Y-%m-%dT%H:%MZ) (sha256 $(sha256sum "$bin" | cut -c1-12)); dovecot $(dovecot --version); mail_fsync=$PEER_FSYNC"
echo "corpus $corpus, $n messages per run to $users users, $(date -u +%Y-%m-%dT%H:%MZ)"

for r in $(seq 1 "$rounds"); do
  echo "== round $r: dovecot (127.0.0.1:$PEER_LMTP_PORT)"
  dovecot_start
  bench "$PEER_LMTP_PORT"
  echo "  stored: $(dovecot_count) messages in the maildirs (delivered: $((2 * n)))"
  dovecot_stop
  echo "== round $r: tresor (127.0.0.1:$tport)"
  tresor_start
  bench "$tport"
  echo "  stored: $(tresor_count) messages over $users accounts (delivered: $((2 * n)))"
  echo "  server log: $(grep -cE 'WARN|ERROR' "$work/serve.err" || true) warnings/errors"
  tresor_stop
done

# ---- durability evidence: fsyncs per message, and fsync before each 250 ------

# counts: strace -c over a short run; order: a full trace (1 connection) where each
# "250 2.0.0" reply written to the socket must follow a completed fsync/fdatasync
# (by any thread) since the previous one.
strace_counts() { # label port conns
  local pids
  pids=$( (ps -o pid= --ppid "$server" || true) | tr -d ' ' | paste -sd, -)
  pids=$server${pids:+,$pids}
  strace -f -c -e trace=fsync,fdatasync -p "$pids" -o "$work/strace.c" 2>/dev/null &
  tracer=$!
  sleep 1
  python3 "$shared/lmtp-bench.py" 127.0.0.1 "$2" --mbox "$corpus" -n "$sn" --connections "$3" \
    --rcpt 'testuser%d@localhost' --users "$users" >"$work/bench.out" 2>&1 || true
  sleep 0.5
  kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true; tracer=
  local delivered syncs
  delivered=$(sed -n 's/^connections=[0-9]* delivered=\([0-9]*\).*/\1/p' "$work/bench.out")
  syncs=$(awk '$NF=="fsync"||$NF=="fdatasync"{s+=$4} END{print s+0}' "$work/strace.c")
  echo "  $1, $3 connection(s): $syncs fsync+fdatasync for $delivered messages = $(awk -v s="$syncs" -v d="$delivered" 'BEGIN{printf "%.2f", d ? s/d : 0}') per message ($(awk '$NF=="fsync"||$NF=="fdatasync"{printf "%s%s %d x %d us", sep, $NF, $4, $3; sep=", "}' "$work/strace.c"))"
}

strace_order() { # label port
  local pids
  pids=$( (ps -o pid= --ppid "$server" || true) | tr -d ' ' | paste -sd, -)
  pids=$server${pids:+,$pids}
  strace -f -s 16 -e trace=fsync,fdatasync,write,writev,sendto,sendmsg -p "$pids" -o "$work/strace.o" 2>/dev/null &
  tracer=$!
  sleep 1
  python3 "$shared/lmtp-bench.py" 127.0.0.1 "$2" --mbox "$corpus" -n 50 --connections 1 \
    --rcpt 'testuser%d@localhost' --users "$users" >"$work/bench.out" 2>&1 || true
  sleep 0.5
  kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true; tracer=
  python3 - "$1" "$work/strace.o" <<'PY'
import re, sys
label, path = sys.argv[1], sys.argv[2]
synced, replies, ok = False, 0, 0
done_sync = re.compile(r'(fsync|fdatasync)\(.*\)\s+= 0$|<\.\.\. (fsync|fdatasync) resumed>.*= 0$')
for line in open(path, errors="replace"):
    line = line.rstrip()
    if done_sync.search(line):
        synced = True
    elif '"250 2.0.0 <' in line and re.search(r'\b(write|writev|sendto|sendmsg)\(', line):
        replies += 1
        ok += synced
        synced = False
print("  %s: %d of %d '250 2.0.0' replies to DATA follow a completed fsync/fdatasync" % (label, ok, replies))
PY
}

warm() { # one untraced message per user first, so no mailbox is created under the trace
  python3 "$shared/lmtp-bench.py" 127.0.0.1 "$1" --mbox "$corpus" -n "$users" --connections 4 \
    --rcpt 'testuser%d@localhost' --users "$users" >"$work/bench.out" 2>&1 || true
}

echo "== durability: strace, $sn messages per run, then 50 messages traced in full (fresh servers, one message per user first)"
dovecot_start
warm "$PEER_LMTP_PORT"
strace_counts dovecot "$PEER_LMTP_PORT" 1
strace_counts dovecot "$PEER_LMTP_PORT" 4
strace_order dovecot "$PEER_LMTP_PORT"
dovecot_stop
tresor_start
warm "$tport"
strace_counts tresor "$tport" 1
strace_counts tresor "$tport" 4
strace_order tresor "$tport"
tresor_stop
