#!/usr/bin/env bash
# Installs the real programs the interop and differential tests drive (Debian packages).
# Idempotent and quiet when everything is there; tests that need a missing program skip loudly.
want=()
command -v haproxy >/dev/null 2>&1 || want+=(haproxy)
command -v curl >/dev/null 2>&1 || want+=(curl)
command -v openssl >/dev/null 2>&1 || want+=(openssl)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || want+=(nginx-light)
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || want+=(dnsmasq-base)
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "WARNING: cannot install ${want[*]} (not root or no apt-get): tests that need them will SKIP" >&2
  exit 0
fi
echo "installing test peers: ${want[*]}"
( apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" ) >/tmp/proxykit-peers.log 2>&1 \
  || echo "WARNING: apt-get install ${want[*]} failed (see /tmp/proxykit-peers.log): tests that need them will SKIP" >&2
