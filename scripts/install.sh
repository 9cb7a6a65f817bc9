#!/usr/bin/env bash
# Installs a built govwire (target/release/govwire) the way the systemd unit
# expects it:
#   /usr/local/bin/govwire             the binary
#   /etc/govwire/govwire.toml          the configuration (kept if present)
#   /etc/govwire/portals/*.toml        the portal profiles (kept if present)
#   /var/lib/govwire/                  state (SQLite stores), owned by govwire
#   /etc/systemd/system/govwire@.service
# and a `govwire` system user. DESTDIR=/some/root installs under that root
# instead (no user is created then, nothing is chowned); PREFIX changes
# /usr/local.
set -euo pipefail
cd "$(dirname "$0")/.."
root=${DESTDIR:-}
prefix=${PREFIX:-/usr/local}
bin=target/release/govwire
[ -x "$bin" ] || { echo "install: $bin is missing; run 'make release' first" >&2; exit 1; }
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install: run as root (sudo make install), or set DESTDIR to install under another root" >&2
  exit 1
fi

install -D -m 0755 "$bin" "$root$prefix/bin/govwire"
install -d -m 0755 "$root/etc/govwire/portals"
if [ -e "$root/etc/govwire/govwire.toml" ]; then
  echo "install: keeping the existing $root/etc/govwire/govwire.toml"
else
  install -m 0644 config/govwire.toml "$root/etc/govwire/govwire.toml"
fi
for profile in config/portals/*.toml; do
  target="$root/etc/govwire/portals/$(basename "$profile")"
  if [ -e "$target" ]; then
    echo "install: keeping the existing $target"
  else
    install -m 0644 "$profile" "$target"
  fi
done
install -D -m 0644 deploy/systemd/govwire@.service "$root/etc/systemd/system/govwire@.service"
install -d -m 0750 "$root/var/lib/govwire"
if [ -z "$root" ]; then
  if ! id govwire >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/govwire --shell /usr/sbin/nologin govwire
  fi
  chown govwire:govwire /var/lib/govwire
  systemctl daemon-reload 2>/dev/null || true
fi
echo "install: govwire installed under ${root:-/}; next:"
echo "  edit /etc/govwire/govwire.toml (crawler.user_agent; amqp.url and store.url, or put them in /etc/govwire/secrets.env)"
echo "  sudo -u govwire govwire check-config --connect"
echo "  sudo -u govwire govwire init"
echo "  sudo systemctl enable --now govwire@all   (or govwire@crawler govwire@parser ...)"
