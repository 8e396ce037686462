#!/usr/bin/env bash
# Builds the testbed binaries (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok, helm, istioctl, pilot-discovery) from Go modules into
#   ${MESH_CACHE:-~/.cache/mesh}/testbed/<hash of versions.env>/bin
# and prints that directory on stdout. A second run with the same versions is a no-op.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
key="$(sha256sum "$here/versions.env" | cut -c1-12)"
root="${MESH_CACHE:-$HOME/.cache/mesh}/testbed/$key"
bin="$root/bin"
mkdir -p "$bin" "$root/work"
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

build() { # name, wrapper dir, package@version, ldflags
  local name="$1" dir="$2" pkg="${3%@*}" version="${3##*@}" ldflags="$4"
  if [[ -x "$bin/$name" ]]; then log "$name: cached"; return; fi
  log "$name: building $pkg"
  local start=$SECONDS
  # `go get pkg@version` records the go.sum lines of exactly that package's imports.
  (cd "$dir" && go get "$pkg@$version" 2>&1 | grep -v '^go: \(added\|upgraded\|downloading\)' >&2 || true)
  (cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
  log "$name: built in $((SECONDS - start))s"
}

k8s_minor="${KUBERNETES_VERSION#v1.}"; k8s_minor="${k8s_minor%%.*}"
k8s_staging_version="v0.${KUBERNETES_VERSION#v1.}"

if [[ ! -x "$bin/kubectl" || ! -x "$bin/kube-apiserver" || ! -x "$bin/kube-controller-manager" || ! -x "$bin/kube-scheduler" ]]; then
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging,
  # which a dependent module cannot see: replace each with its published v0.Y.Z instead.
  gomod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
  replaces="$(grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$gomod" | awk -v v="$k8s_staging_version" '{printf "\t%s => %s %s\n", $1, $1, v}')"
  k8s_dir="$(wrapper kubernetes "require k8s.io/kubernetes $KUBERNETES_VERSION

replace (
$replaces
)")"
  kv="k8s.io/component-base/version"; cv="k8s.io/client-go/pkg/version"
  stamp=""
  for p in "$kv" "$cv"; do
    stamp+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    build "$c" "$k8s_dir" "k8s.io/kubernetes/cmd/$c@$KUBERNETES_VERSION" "$stamp"
  done
fi

if [[ ! -x "$bin/etcd" ]]; then
  # etcd's server module replaces its siblings with relative paths: require them all at one version.
  etcd_dir="$(wrapper etcd "require (
	go.etcd.io/etcd/server/v3 $ETCD_VERSION
	go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)")"
  build etcd "$etcd_dir" "go.etcd.io/etcd/server/v3@$ETCD_VERSION" ""
fi

if [[ ! -x "$bin/kwok" ]]; then
  kwok_dir="$(wrapper kwok "require sigs.k8s.io/kwok $KWOK_VERSION")"
  build kwok "$kwok_dir" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
fi

if [[ ! -x "$bin/helm" ]]; then
  helm_dir="$(wrapper helm "require helm.sh/helm/v3 $HELM_VERSION")"
  build helm "$helm_dir" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
fi

istio_src="$(go mod download -json "istio.io/istio@$ISTIO_MODULE_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
if [[ ! -x "$bin/istioctl" ]]; then
  # Repeat istio's own replace directives (it has carried some, e.g. for mergo).
  istio_replaces="$(awk '/^replace \(/{f=1;next} f&&/^\)/{f=0} f{print "\t"$0} /^replace [^(]/{sub(/^replace /,"");print "\t"$0}' "$istio_src/go.mod")"
  istio_dir="$(wrapper istio "require istio.io/istio $ISTIO_MODULE_VERSION
${istio_replaces:+replace (
$istio_replaces
)}")"
  iv="istio.io/istio/pkg/version"
  build istioctl "$istio_dir" "istio.io/istio/istioctl/cmd/istioctl@$ISTIO_MODULE_VERSION" \
    "-X $iv.buildVersion=$ISTIO_VERSION -X $iv.buildGitRevision=${ISTIO_MODULE_VERSION##*-} -X $iv.buildTag=$ISTIO_VERSION -X $iv.buildHub=docker.io/istio -X $iv.buildStatus=Clean"
fi

if [[ ! -x "$bin/pilot-discovery" ]]; then
  # istiod itself, run on loopback by the testbed so admission webhooks (injection, validation) answer.
  iv="istio.io/istio/pkg/version"
  build pilot-discovery "$root/work/istio" "istio.io/istio/pilot/cmd/pilot-discovery@$ISTIO_MODULE_VERSION" \
    "-X $iv.buildVersion=$ISTIO_VERSION -X $iv.buildGitRevision=${ISTIO_MODULE_VERSION##*-} -X $iv.buildTag=$ISTIO_VERSION -X $iv.buildHub=docker.io/istio -X $iv.buildStatus=Clean"
fi

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
MESH_KUBERNETES_VERSION=$KUBERNETES_VERSION
PATHS
log "done: $bin"
echo "$root"
