#!/usr/bin/env bash
# Builds the pinned upstream binaries of the local cluster from the Go module proxy into a cache
# outside the repository, reusing what is already there. Only Go modules are downloaded.
#   usage: build-upstream.sh [kubernetes|etcd|kwok|knative]...   (default: all)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${KSISS_CACHE:-$HOME/.cache/k-siss}"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
mkdir -p "$cache"
# One build at a time per cache: a second caller (the harness, a helper, CI) waits here for the running
# build and then finds everything cached, instead of racing it into the same <name>.tmp folders.
exec 9>"$cache/.build.lock"
if ! flock -n 9; then
  printf '[build-upstream %s] another build holds %s; waiting for it\n' "$(date +%H:%M:%S)" "$cache/.build.lock" >&2
  flock 9
fi

log() { printf '[build-upstream %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# A component is cached when every binary exists and answers --version (or --help).
cached() {
  local dir="$1"; shift
  [ -f "$dir/.complete" ] || return 1
  for b in "$@"; do
    [ -x "$dir/bin/$b" ] || return 1
  done
  return 0
}

# Runs "go build" in a throw-away wrapper module and reports the duration.
#   build_in_wrapper NAME DIR GOMOD LDFLAGS VERSION PACKAGE...
# Packages are fetched at VERSION: a bare "go get <package>" would resolve the latest release
# (etcd v3.7.x, kubernetes v1.37.x) and break the pinned replace lines.
build_in_wrapper() {
  local work; work="$(mktemp -d)"
  # Not a RETURN trap: that would stay set and fire (with $work unbound) when the caller returns.
  if build_in_wrapper_body "$work" "$@"; then rm -rf "$work"; else rm -rf "$work"; return 1; fi
}

build_in_wrapper_body() {
  local work="$1" name="$2" dir="$3" gomod="$4" ldflags="$5" version="$6"; shift 6
  printf '%s\n' "$gomod" >"$work/go.mod"
  local start; start=$(date +%s)
  log "$name: resolving modules"
  local pinned=() p
  for p in "$@"; do pinned+=("$p@$version"); done
  (cd "$work" && go get "${pinned[@]}" >"$work/get.log" 2>&1) || { cat "$work/get.log" >&2; log "$name: go get failed"; return 1; }
  log "$name: compiling $* (this is the slow part; progress below is per package)"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/bin"
  # go build -v prints package names and errors on stderr; keep them all, show a count as progress.
  if ! (cd "$work" && go build -v -trimpath -ldflags "$ldflags" -o "$dir.tmp/bin/" "$@" 2>&1 | tee "$work/build.log" |
    awk -v n="$name" '{c++; if (c % 200 == 0) printf "[build-upstream] %s: %d packages compiled\n", n, c > "/dev/stderr"}'); then
    grep -v '^[a-z0-9./_-]*$' "$work/build.log" | tail -40 >&2
    log "$name: build failed"
    return 1
  fi
  date -u +%FT%TZ >"$dir.tmp/.complete"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  log "$name: done in $(($(date +%s) - start)) s -> $dir/bin"
}

build_kubernetes() {
  local v="$KUBERNETES_VERSION" dir="$cache/kubernetes-$KUBERNETES_VERSION"
  if cached "$dir" kube-apiserver kube-controller-manager kube-scheduler kubectl; then log "kubernetes $v: cached"; return; fi
  local minor; minor="${v#v1.}"; minor="${minor%%.*}"
  local staging="v0.${v#v1.}"
  local modfile; modfile="$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
  local replaces
  replaces="$(grep -oE 'k8s.io/[a-z0-9-]+ => ./staging' "$modfile" | awk -v s="$staging" '{print "replace " $1 " => " $1 " " s}')"
  local gomod
  gomod="module ksiss.local/kubernetes-build
go 1.25
require k8s.io/kubernetes $v
$replaces"
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  build_in_wrapper "kubernetes $v" "$dir" "$gomod" "$ld" "$v" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
}

build_etcd() {
  local v="$ETCD_VERSION" dir="$cache/etcd-$ETCD_VERSION"
  if cached "$dir" etcd; then log "etcd $v: cached"; return; fi
  local modfile; modfile="$(go mod download -json "go.etcd.io/etcd/server/v3@$v" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
  local replaces
  replaces="$(grep -oE 'go.etcd.io/etcd/[a-z0-9/-]+ => ' "$modfile" | awk -v s="$v" '{print "replace " $1 " => " $1 " " s}')"
  local gomod
  gomod="module ksiss.local/etcd-build
go 1.25
require go.etcd.io/etcd/server/v3 $v
$replaces"
  build_in_wrapper "etcd $v" "$dir" "$gomod" "-s -w" "$v" go.etcd.io/etcd/server/v3
  # go build names the binary after the last path element ("v3"), or "server" on some Go versions.
  [ -x "$dir/bin/v3" ] && mv "$dir/bin/v3" "$dir/bin/etcd"
  [ -x "$dir/bin/server" ] && mv "$dir/bin/server" "$dir/bin/etcd"
  [ -x "$dir/bin/etcd" ] || { log "etcd $v: no etcd binary produced"; return 1; }
}

build_kwok() {
  local v="$KWOK_VERSION" dir="$cache/kwok-$KWOK_VERSION"
  if cached "$dir" kwok && [ -d "$dir/stages" ]; then log "kwok $v: cached"; return; fi
  local gomod
  gomod="module ksiss.local/kwok-build
go 1.25
require sigs.k8s.io/kwok $v"
  build_in_wrapper "kwok $v" "$dir" "$gomod" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$v" "$v" sigs.k8s.io/kwok/cmd/kwok
  local src; src="$(go mod download -json "sigs.k8s.io/kwok@$v" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
  mkdir -p "$dir/stages" && cp -r "$src/kustomize/stage/." "$dir/stages/" && chmod -R u+w "$dir/stages"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(etcd kwok kubernetes knative)
total_start=$(date +%s)
for t in "${targets[@]}"; do
  case "$t" in
    kubernetes) build_kubernetes ;;
    etcd) build_etcd ;;
    kwok) build_kwok ;;
    knative)
      if [ -x "$here/build-knative.sh" ]; then "$here/build-knative.sh"; else log "knative: build-knative.sh not present yet"; fi ;;
    *) log "unknown component: $t"; exit 2 ;;
  esac
done
log "all requested components ready in $(($(date +%s) - total_start)) s (cache: $cache)"
