#!/usr/bin/env bash
# Builds the testbed binaries (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok, helm, istioctl, pilot-discovery) from Go modules into
#   ${MESH_CACHE:-~/.cache/mesh}/testbed/<hash of versions.env>/bin
# and prints that directory on stdout. A second run with the same versions is a no-op.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
# The older Istio (from the '# ---- previous Istio' line of versions.env on) is built into a
# directory of its own, keyed by its own lines, so adding or moving it rebuilds nothing else.
key="$(sed '/^# ---- previous Istio/,$d' "$here/versions.env" | sha256sum | cut -c1-12)"
previous_key="$(sed -n '/^# ---- previous Istio/,$p' "$here/versions.env" | sha256sum | cut -c1-12)"
root="${MESH_CACHE:-$HOME/.cache/mesh}/testbed/$key"
previous_bin="${MESH_CACHE:-$HOME/.cache/mesh}/testbed/istio-previous-$previous_key/bin"
bin="$root/bin"
mkdir -p "$bin" "$root/work" "$previous_bin"
# One build at a time per cache directory (tests in parallel processes may all ask for it).
exec 9>"$root.lock"
flock 9

log() { printf '[testbed build] %s\n' "$*" >&2; }
command -v go >/dev/null || { echo "go not found on PATH: the testbed is built from Go modules; install Go 1.26+" >&2; exit 3; }

# One wrapper module per component keeps their dependency graphs apart.
wrapper() { # dir, module requirements (go.mod body)
  local dir="$root/work/$1"; mkdir -p "$dir"
  printf 'module mesh.local/testbed/%s\n\ngo 1.26\n\n%s\n' "$1" "$2" > "$dir/go.mod"
  printf 'package tools\n' > "$dir/tools.go"
  echo "$dir"
}

# Fetches a wrapper's modules (`go get` records exactly the go.sum lines its packages import).
# Every fetch starts at once in the background: downloads are network-bound and overlap the
# compiles, which are CPU-bound; each build waits only for its own fetch.
declare -A fetch_pid
fetch() { # wrapper dir, package@version...
  local dir="$1"; shift
  (cd "$dir" && go get "$@" 2>&1 | grep -v '^go: \(added\|upgraded\|downloading\|finding\)' >&2 || true) &
  fetch_pid[$dir]=$!
}

# Builds several commands of one module graph in one `go build`, so shared packages are
# compiled once and the links run side by side. Binaries land in bin/ only when complete.
build() { # wrapper dir, ldflags, name=package...
  local dir="$1" ldflags="$2"; shift 2
  local names=() pkgs=() p; for p in "$@"; do names+=("${p%%=*}"); pkgs+=("${p#*=}"); done
  wait "${fetch_pid[$dir]}" || true
  log "${names[*]}: building"
  local start=$SECONDS out="$dir/out"
  rm -rf "$out"; mkdir -p "$out"
  (cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$out/" "${pkgs[@]}")
  # go names each binary after its package's last path element that is not a major version.
  for i in "${!names[@]}"; do
    p="${pkgs[$i]%/v[0-9]*}"; mv "$out/${p##*/}" "$bin/${names[$i]}"
  done
  log "${names[*]}: built in $((SECONDS - start))s"
}

missing() { local n; for n in "$@"; do [[ -x "$bin/$n" ]] || return 0; done; return 1; }
missing_previous() { [[ -x "$previous_bin/istioctl" && -x "$previous_bin/pilot-discovery" ]] && return 1; return 0; }

k8s_minor="${KUBERNETES_VERSION#v1.}"; k8s_minor="${k8s_minor%%.*}"
k8s_staging_version="v0.${KUBERNETES_VERSION#v1.}"
k8s_cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
iv="istio.io/istio/pkg/version"
stamp_istio() { # version, module version: what Istio's own build stamps
  echo "-X $iv.buildVersion=$1 -X $iv.buildGitRevision=${2##*-} -X $iv.buildTag=$1 -X $iv.buildHub=docker.io/istio -X $iv.buildStatus=Clean"
}
istio_stamp="$(stamp_istio "$ISTIO_VERSION" "$ISTIO_MODULE_VERSION")"

# Stage 1: every wrapper module and its fetch, all at once.
if missing "${k8s_cmds[@]}"; then
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging,
  # which a dependent module cannot see: replace each with its published v0.Y.Z instead.
  gomod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
  replaces="$(grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$gomod" | awk -v v="$k8s_staging_version" '{printf "\t%s => %s %s\n", $1, $1, v}')"
  k8s_dir="$(wrapper kubernetes "require k8s.io/kubernetes $KUBERNETES_VERSION

replace (
$replaces
)")"
  k8s_pkgs=(); for c in "${k8s_cmds[@]}"; do k8s_pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  fetch "$k8s_dir" "${k8s_pkgs[@]/%/@$KUBERNETES_VERSION}"
  k8s_builds=(); for c in "${k8s_cmds[@]}"; do k8s_builds+=("$c=k8s.io/kubernetes/cmd/$c"); done
fi
if missing etcd; then
  # etcd's server module replaces its siblings with relative paths: require them all at one version.
  etcd_dir="$(wrapper etcd "require (
	go.etcd.io/etcd/server/v3 $ETCD_VERSION
	go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)")"
  fetch "$etcd_dir" "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
fi
if missing kwok; then
  kwok_dir="$(wrapper kwok "require sigs.k8s.io/kwok $KWOK_VERSION")"
  fetch "$kwok_dir" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
fi
if missing helm; then
  helm_dir="$(wrapper helm "require helm.sh/helm/v3 $HELM_VERSION")"
  fetch "$helm_dir" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
istio_wrapper() { # wrapper name, module version, its source dir, [module=version ...]; sets $wrapper_dir
  # (a function, not $(...): fetch must start its background job in this shell).
  # Repeat istio's own replace directives (it has carried some, e.g. for mergo), then ours.
  local replaces r
  replaces="$(awk '/^replace \(/{f=1;next} f&&/^\)/{f=0} f{print "\t"$0} /^replace [^(]/{sub(/^replace /,"");print "\t"$0}' "$3/go.mod")"
  for r in "${@:4}"; do replaces+=$'\n'"	${r%%=*} => ${r%%=*} ${r#*=}"; done
  wrapper_dir="$(wrapper "$1" "require istio.io/istio $2
${replaces:+replace (
$replaces
)}")"
  fetch "$wrapper_dir" "istio.io/istio/istioctl/cmd/istioctl@$2" "istio.io/istio/pilot/cmd/pilot-discovery@$2"
}
istio_src="$(go mod download -json "istio.io/istio@$ISTIO_MODULE_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
if missing istioctl pilot-discovery; then istio_wrapper istio "$ISTIO_MODULE_VERSION" "$istio_src"; istio_dir="$wrapper_dir"; fi
previous_src="$(go mod download -json "istio.io/istio@$ISTIO_PREVIOUS_MODULE_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
if missing_previous; then
  # shellcheck disable=SC2086 # a list of module=version words
  istio_wrapper istio-previous "$ISTIO_PREVIOUS_MODULE_VERSION" "$previous_src" ${ISTIO_PREVIOUS_REPLACE:-}
  previous_dir="$wrapper_dir"
fi

# Stage 2: the compiles, one module graph after another (two cores: running them side by side
# only makes them compete).
if missing "${k8s_cmds[@]}"; then
  stamp=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  build "$k8s_dir" "$stamp" "${k8s_builds[@]}"
fi
missing etcd && build "$etcd_dir" "" etcd=go.etcd.io/etcd/server/v3
missing kwok && build "$kwok_dir" "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" kwok=sigs.k8s.io/kwok/cmd/kwok
missing helm && build "$helm_dir" "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
  helm=helm.sh/helm/v3/cmd/helm
# istiod itself (pilot-discovery) runs on loopback in the testbed so admission webhooks answer.
missing istioctl pilot-discovery && build "$istio_dir" "$istio_stamp" \
  istioctl=istio.io/istio/istioctl/cmd/istioctl pilot-discovery=istio.io/istio/pilot/cmd/pilot-discovery
if missing_previous; then
  bin="$previous_bin" build "$previous_dir" "$(stamp_istio "$ISTIO_PREVIOUS_VERSION" "$ISTIO_PREVIOUS_MODULE_VERSION")" \
    istioctl=istio.io/istio/istioctl/cmd/istioctl pilot-discovery=istio.io/istio/pilot/cmd/pilot-discovery
fi
wait

# Charts and addons straight from the module source istioctl was built from (read-only in the
# module cache), so the helm backend installs offline.
kwok_src="$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
cat > "$root/paths.env" <<PATHS
MESH_TESTBED_BIN=$bin
MESH_ISTIO_SRC=$istio_src
MESH_ISTIO_CHARTS=$istio_src/manifests/charts
MESH_ISTIO_ADDONS=$istio_src/samples/addons
MESH_KWOK_STAGES=$kwok_src/kustomize/stage
MESH_ISTIO_VERSION=$ISTIO_VERSION
MESH_ISTIO_PREVIOUS_BIN=$previous_bin
MESH_ISTIO_PREVIOUS_SRC=$previous_src
MESH_ISTIO_PREVIOUS_VERSION=$ISTIO_PREVIOUS_VERSION
MESH_KUBERNETES_VERSION=$KUBERNETES_VERSION
PATHS
log "done: $bin"
echo "$root"
