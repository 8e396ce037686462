# Sourced by build.sh (and its test): transparent huge pages for the testbed's Go build.
#
# The Go compiler runs as thousands of short processes, each heap fresh memory: with 4 KiB pages
# every first touch is a page fault, which in a virtual machine costs dearly. Go's runtime does not
# ask for huge pages itself, so where the machine's setting is 'madvise' (Debian's and Ubuntu's
# default) it gets none. Measured on a 2-core VM, Helm from an empty build cache: 195 s with
# 'madvise' (user 270 s, sys 100 s), 114-124 s with 'always' (user 174-192 s, sys 40-45 s); the
# whole testbed 25m53s against 16m25s. It is a setting of the whole machine, so it is changed only
# when asked (MESH_TESTBED_THP=always, as root; .ci/run asks on its throwaway machine), for the
# build alone, and put back however the build ends (a SIGKILL aside).

# The kernel's setting (a test points this at a file of its own).
thp_setting="${MESH_TESTBED_THP_SETTING:-/sys/kernel/mm/transparent_hugepage/enabled}"

# Needs log(). Call it from the shell that builds: the setting is put back when that shell exits.
huge_pages_for_build() {
  local was
  was="$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$thp_setting" 2>/dev/null || true)"
  [[ -n "$was" && "$was" != always ]] || return 0
  if [[ "${MESH_TESTBED_THP:-}" != always ]]; then
    log "transparent huge pages are '$was' here: MESH_TESTBED_THP=always (as root) builds about a third faster"
  elif { echo always > "$thp_setting"; } 2>/dev/null; then
    # An interrupt or a failed step exits through EXIT too.
    # shellcheck disable=SC2064 # the values are fixed now, on purpose
    trap "echo '$was' > '$thp_setting'" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    log "transparent huge pages: 'always' for this build (was '$was', put back after)"
  else
    log "MESH_TESTBED_THP=always: cannot write $thp_setting (not root?): building with '$was'"
  fi
}
