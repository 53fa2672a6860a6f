#!/usr/bin/env bash
# System packages the local cluster needs, installed only when missing: Prometheus (we run our own process
# on a loopback port, never the Debian service) and openssl (the harness issues the apiserver certificates).
set -euo pipefail
missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && { echo "install-deps: prometheus and openssl present"; exit 0; }
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update
# policy-rc.d 101 keeps Debian from starting the prometheus service during the install.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null; $sudo chmod +x "$policy"; created_policy=1; fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}" || rc=$?
[ "$created_policy" = 1 ] && $sudo rm -f "$policy"
exit "${rc:-0}"
