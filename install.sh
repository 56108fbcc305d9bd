#!/usr/bin/env bash
# Installs Tresor on a Debian machine: build dependencies, a release binary in
# /usr/local/bin, a tresor system user, /etc/tresor (config, master key, a
# self-signed certificate) and /var/lib/tresor, and a systemd unit.
#
#   ./install.sh            build, install, enable and start the service
#   ./install.sh --no-start install only
#
# Re-running it upgrades the binary and never touches an existing config or key.
set -euo pipefail
cd "$(dirname "$0")"

start=yes
[ "${1:-}" = "--no-start" ] && start=no

need_root() { [ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo ./install.sh)" >&2; exit 1; }; }
need_root

if ! command -v clang >/dev/null || ! dpkg -s libclang-dev >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq libclang-dev clang build-essential pkg-config >/dev/null
fi
command -v cargo >/dev/null || { echo "install.sh: cargo not found; install Rust 1.95 (rustup) first" >&2; exit 1; }

# RocksDB's C++ takes ~15-25 minutes to build the first time; the target dir is
# kept outside the checkout so later builds reuse it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tresor-target}"
cargo build --release --locked -p tresor-server
install -m 0755 "$CARGO_TARGET_DIR/release/tresor" /usr/local/bin/tresor

id tresor >/dev/null 2>&1 || useradd --system --home-dir /var/lib/tresor --shell /usr/sbin/nologin tresor
install -d -m 0750 -o tresor -g tresor /var/lib/tresor
if [ ! -f /etc/tresor/config.toml ]; then
  tmp=$(mktemp -d)
  /usr/local/bin/tresor init --data-dir "$tmp"
  install -d -m 0750 -o tresor -g tresor /etc/tresor /etc/tresor/tls
  install -m 0600 -o tresor -g tresor "$tmp/master.key" /etc/tresor/master.key
  install -m 0644 -o tresor -g tresor "$tmp/tls/cert.pem" /etc/tresor/cert.pem
  install -m 0600 -o tresor -g tresor "$tmp/tls/key.pem" /etc/tresor/key.pem
  sed -e "s|^path = .*|path = \"/var/lib/tresor\"|" \
      -e "s|^master = .*|master = \"/etc/tresor/master.key\"|" \
      -e "s|^cert = .*|cert = \"/etc/tresor/cert.pem\"|" \
      -e "s|^key  *= .*|key  = \"/etc/tresor/key.pem\"|" \
      "$tmp/config.toml" > /etc/tresor/config.toml
  chown tresor:tresor /etc/tresor/config.toml
  chmod 0640 /etc/tresor/config.toml
  rm -rf "$tmp"
  echo "wrote /etc/tresor/config.toml and a new master key /etc/tresor/master.key"
  echo "  back up the master key apart from the data: without it the data is noise"
fi
install -m 0644 resources/tresor.service /etc/systemd/system/tresor.service
if [ "$start" = yes ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now tresor
  echo "tresor is running: systemctl status tresor"
else
  echo "installed; start with: systemctl enable --now tresor (or: sudo -u tresor tresor serve --config /etc/tresor/config.toml)"
fi
