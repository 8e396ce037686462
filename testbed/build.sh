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
previous_key="$(sed -n '/^# ---- previous Istio/,$p' "$here/versions.env" | sed '/^# ---- Helm 4/,$d' | sha256sum | cut -c1-12)"
helm4_key="$(sed -n '/^# ---- Helm 4/,$p' "$here/versions.env" | sha256sum | cut -c1-12)"
root="${MESH_CACHE:-$HOME/.cache/mesh}/testbed/$key"
previous_bin="${MESH_CACHE:-$HOME/.cache/mesh}/testbed/istio-previous-$previous_key/bin"
helm4_bin="${MESH_CACHE:-$HOME/.cache/mesh}/testbed/helm4-$helm4_key/bin"
bin="$root/bin"
mkdir -p "$bin" "$root/work" "$previous_bin" "$helm4_bin"
# One build at a time per cache directory (tests in parallel processes may all ask for it).
exec 9>"$root.lock"
flock 9

log() { printf '[testbed build] %s\n' "$*" >&2; }
command -v go >/dev/null || { echo "go not found on PATH: the testbed is built from Go modules; install Go 1.26+" >&2; exit 3; }

# A wrapper module holds one dependency graph (go.mod) for the commands built in it.
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
  (local start=$SECONDS
   cd "$dir" && go get "$@" 2>&1 | grep -v '^go: \(added\|upgraded\|downloading\|finding\)' >&2 || true
   log "${dir##*/}: modules fetched in $((SECONDS - start))s") &
  fetch_pid[$dir]=$!
}

# Builds several commands of one module graph in one `go build`, so shared packages are
# compiled once and the links run side by side (and a later build in the same graph finds the
# packages they share in Go's build cache). Binaries land in bin/ only when complete.
build() { # wrapper dir, ldflags, name=package...
  local dir="$1" ldflags="$2"; shift 2
  local names=() pkgs=() p; for p in "$@"; do names+=("${p%%=*}"); pkgs+=("${p#*=}"); done
  wait "${fetch_pid[$dir]}" || true
  log "${names[*]}: building"
  local start=$SECONDS out="$dir/out"
  rm -rf "$out"; mkdir -p "$out"
  # No DWARF: -s -w drop it from the binaries anyway, and the compiler then need not make it
  # (Helm from an empty build cache with huge pages: 113 and 131 s against 128 and 141 s).
  (cd "$dir" && go build -trimpath -gcflags=all=-dwarf=false -ldflags "-s -w $ldflags" -o "$out/" "${pkgs[@]}")
  # go names each binary after its package's last path element that is not a major version.
  for i in "${!names[@]}"; do
    p="${pkgs[$i]%/v[0-9]*}"; mv "$out/${p##*/}" "$bin/${names[$i]}"
  done
  log "${names[*]}: built in $((SECONDS - start))s"
}

missing() { local n; for n in "$@"; do [[ -x "$bin/$n" ]] || return 0; done; return 1; }
missing_previous() { [[ -x "$previous_bin/istioctl" && -x "$previous_bin/pilot-discovery" ]] && return 1; return 0; }
# Helm 4 only when asked (MESH_TESTBED_HELM4=1, as the e2e test that runs it does): the testbed's
# own build stays as long as it was (about 1.5-2 min more from empty caches on two cores).
helm4_wanted() { [[ "${MESH_TESTBED_HELM4:-0}" == 1 && ! -x "$helm4_bin/helm" ]]; }

k8s_minor="${KUBERNETES_VERSION#v1.}"; k8s_minor="${k8s_minor%%.*}"
k8s_staging_version="v0.${KUBERNETES_VERSION#v1.}"
k8s_cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
iv="istio.io/istio/pkg/version"
stamp_istio() { # version, module version: what Istio's own build stamps
  echo "-X $iv.buildVersion=$1 -X $iv.buildGitRevision=${2##*-} -X $iv.buildTag=$1 -X $iv.buildHub=docker.io/istio -X $iv.buildStatus=Clean"
}
istio_stamp="$(stamp_istio "$ISTIO_VERSION" "$ISTIO_MODULE_VERSION")"

# A module's go.mod alone (`go list -m` fetches no source), and its source directory.
gomod_of() { go list -m -json "$1" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p'; }
source_of() { go mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)",/\1/p'; }
# Istio's own replace directives (it has carried some, e.g. for mergo), as replace-block lines.
istio_replaces() { # its module@version
  awk '/^replace \(/{f=1;next} f&&/^\)/{f=0} f{print "\t"$0} /^replace [^(]/{sub(/^replace /,"");print "\t"$0}' "$(gomod_of "$1")"
}
istio_pkgs=(istioctl=istio.io/istio/istioctl/cmd/istioctl pilot-discovery=istio.io/istio/pilot/cmd/pilot-discovery)
cluster_cmds=("${k8s_cmds[@]}" etcd kwok istioctl pilot-discovery)

# Huge pages for the Go compiler, when asked (testbed/huge-pages.sh says why).
# shellcheck source=huge-pages.sh
source "$here/huge-pages.sh"
if missing "${cluster_cmds[@]}" helm || missing_previous || helm4_wanted; then huge_pages_for_build; fi

# Stage 1: every wrapper module and its fetch, all at once.
if missing "${cluster_cmds[@]}"; then
  # Kubernetes, etcd, kwok and Istio in one module graph: over half of Istio's packages and nearly
  # all of kwok's are packages Kubernetes is built from too (client-go, api, apimachinery, gRPC,
  # cel-go...), and at one version each they compile once, not three times. Each still gets a
  # `go build` of its own (below), so each binary carries only its own version stamps. Helm stays
  # apart: it needs the next Kubernetes minor's client, which Kubernetes cannot be built on.
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging,
  # which a dependent module cannot see: replace each with its published v0.Y.Z instead.
  replaces="$(grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$(gomod_of "k8s.io/kubernetes@$KUBERNETES_VERSION")" | awk -v v="$k8s_staging_version" '{printf "\t%s => %s %s\n", $1, $1, v}')"
  replaces+=$'\n'"$(istio_replaces "istio.io/istio@$ISTIO_MODULE_VERSION")"
  # etcd's server module replaces its siblings with relative paths: require them all at one version.
  cluster_dir="$(wrapper cluster "require (
	k8s.io/kubernetes $KUBERNETES_VERSION
	istio.io/istio $ISTIO_MODULE_VERSION
	sigs.k8s.io/kwok $KWOK_VERSION
	go.etcd.io/etcd/server/v3 $ETCD_VERSION
	go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)

replace (
$replaces
)")"
  k8s_builds=(); for c in "${k8s_cmds[@]}"; do k8s_builds+=("$c=k8s.io/kubernetes/cmd/$c"); done
  gets=(); for p in "${k8s_builds[@]}"; do gets+=("${p#*=}@$KUBERNETES_VERSION"); done
  for p in "${istio_pkgs[@]}"; do gets+=("${p#*=}@$ISTIO_MODULE_VERSION"); done
  gets+=("sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  # shellcheck disable=SC2086 # a list of module@version words
  fetch "$cluster_dir" "${gets[@]}" ${CLUSTER_REQUIRE:-}
fi
if missing helm; then
  helm_dir="$(wrapper helm "require helm.sh/helm/v3 $HELM_VERSION")"
  fetch "$helm_dir" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
if helm4_wanted; then
  helm4_dir="$(wrapper helm4 "require helm.sh/helm/v4 $HELM4_VERSION")"
  fetch "$helm4_dir" "helm.sh/helm/v4/cmd/helm@$HELM4_VERSION"
fi
if missing_previous; then
  # The older Istio in a graph of its own (release-1.30 code needs client-go 0.35), with
  # Istio's replace directives and then ours.
  replaces="$(istio_replaces "istio.io/istio@$ISTIO_PREVIOUS_MODULE_VERSION")"
  for r in ${ISTIO_PREVIOUS_REPLACE:-}; do replaces+=$'\n'"	${r%%=*} => ${r%%=*} ${r#*=}"; done
  previous_dir="$(wrapper istio-previous "require istio.io/istio $ISTIO_PREVIOUS_MODULE_VERSION

replace (
$replaces
)")"
  gets=(); for p in "${istio_pkgs[@]}"; do gets+=("${p#*=}@$ISTIO_PREVIOUS_MODULE_VERSION"); done
  # shellcheck disable=SC2086 # a list of module@version words
  fetch "$previous_dir" "${gets[@]}" ${ISTIO_PREVIOUS_REQUIRE:-}
fi

# Stage 2: the compiles, one after another. Two cores: two builds side by side compete (Helm's
# and the older Istio's at the lowest CPU priority beside the big graph's: 874 s from empty caches
# against 896 s, within the downloads' variance, the Kubernetes build slowed from 299-324 to
# 353 s), and two in one graph would compile the same packages twice. Helm first: its modules
# arrive first, so it compiles while the big graph's are still downloading.
missing helm && build "$helm_dir" "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
  helm=helm.sh/helm/v3/cmd/helm
if missing "${k8s_cmds[@]}"; then
  stamp=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  build "$cluster_dir" "$stamp" "${k8s_builds[@]}"
fi
# istiod itself (pilot-discovery) runs on loopback in the testbed so admission webhooks answer.
missing istioctl pilot-discovery && build "$cluster_dir" "$istio_stamp" "${istio_pkgs[@]}"
missing kwok && build "$cluster_dir" "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" kwok=sigs.k8s.io/kwok/cmd/kwok
missing etcd && build "$cluster_dir" "" etcd=go.etcd.io/etcd/server/v3
if helm4_wanted; then
  bin="$helm4_bin" build "$helm4_dir" "-X helm.sh/helm/v4/internal/version.version=$HELM4_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
    helm=helm.sh/helm/v4/cmd/helm
fi
if missing_previous; then
  bin="$previous_bin" build "$previous_dir" "$(stamp_istio "$ISTIO_PREVIOUS_VERSION" "$ISTIO_PREVIOUS_MODULE_VERSION")" "${istio_pkgs[@]}"
fi
wait

# Charts and addons straight from the module source istioctl was built from (read-only in the
# module cache), so the helm backend installs offline.
istio_src="$(source_of "istio.io/istio@$ISTIO_MODULE_VERSION")"
previous_src="$(source_of "istio.io/istio@$ISTIO_PREVIOUS_MODULE_VERSION")"
kwok_src="$(source_of "sigs.k8s.io/kwok@$KWOK_VERSION")"
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
MESH_HELM4=$helm4_bin/helm
MESH_KUBERNETES_VERSION=$KUBERNETES_VERSION
PATHS
log "done: $bin"
echo "$root"
