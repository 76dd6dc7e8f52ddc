#!/bin/sh
# tailor-ci.sh: record an application's tests with tailor and fail when they need more from the
# kernel than the committed profile allows (a new syscall, capability, file, port, ...).
#
#   tailor-ci.sh [-p PROFILE] [-o RECORDED] [-r REPORT.md] [-u] [--] TEST-COMMAND [ARGS...]
#
#   -p PROFILE   the committed profile: a tailor profile, or a Docker/OCI seccomp profile
#                (default: $TAILOR_PROFILE, else tailor-profile.json)
#   -o RECORDED  where this run's recording goes, e.g. to keep it as a CI artifact
#                (default: $TAILOR_RECORDED, else tailor-recorded.json)
#   -r REPORT    also write the difference as Markdown here (a pull-request comment)
#                (default: $TAILOR_REPORT, else none)
#   -u           update: write this run's recording to PROFILE instead of comparing (then
#                review and commit it). Also what happens when PROFILE does not exist yet.
#
# Environment: TAILOR, the tailor binary (default: `tailor` on PATH); TAILOR_DIFF_ARGS, extra
# options for `tailor diff` (e.g. "--fail-on any" or "--runtime podman").
#
# Exit status: 0 the tests pass and need nothing new; 1 drift (the output names what is new);
# 2 usage or tailor error; otherwise the failing test command's own status (a test failure is
# reported as such, not as drift).
#
# POSIX sh on purpose: it runs unchanged in GitHub's runners, GitLab's Debian/Alpine images and
# on a developer's machine.
set -u

TAILOR="${TAILOR:-tailor}"
profile="${TAILOR_PROFILE:-tailor-profile.json}"
recorded="${TAILOR_RECORDED:-tailor-recorded.json}"
report="${TAILOR_REPORT:-}"
update=0

usage() {
  echo "usage: tailor-ci.sh [-p PROFILE] [-o RECORDED] [-r REPORT.md] [-u] [--] TEST-COMMAND [ARGS...]" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    -p) [ $# -ge 2 ] || usage; profile="$2"; shift 2 ;;
    -o) [ $# -ge 2 ] || usage; recorded="$2"; shift 2 ;;
    -r) [ $# -ge 2 ] || usage; report="$2"; shift 2 ;;
    -u) update=1; shift ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || usage

# 1. Run the tests under tailor. tailor exits with the tests' status; 125-127 are its own.
"$TAILOR" record -q -o "$recorded" -- "$@"
status=$?
if [ "$status" -ne 0 ]; then
  echo "tailor-ci: the test command failed (exit $status); not comparing profiles" >&2
  exit "$status"
fi

# 2. No committed profile yet, or asked to refresh it: this recording becomes the profile.
# A committed seccomp profile (no "tailor" key) is regenerated as one, with the same diff
# options that matter for it (--runtime, --no-arg-filters in TAILOR_DIFF_ARGS).
if [ "$update" -eq 1 ] || [ ! -e "$profile" ]; then
  if [ -e "$profile" ] && ! grep -q '"tailor"[[:space:]]*:' "$profile"; then
    gen_args=""
    # shellcheck disable=SC2086
    set -- ${TAILOR_DIFF_ARGS:-}
    while [ $# -gt 0 ]; do
      case "$1" in
        --runtime) gen_args="$gen_args --runtime ${2:-}"; shift ;;
        --runtime=*|--no-arg-filters) gen_args="$gen_args $1" ;;
      esac
      shift
    done
    # shellcheck disable=SC2086
    "$TAILOR" generate "$recorded" --seccomp "$profile" $gen_args || exit 2
  elif ! cp "$recorded" "$profile"; then
    echo "tailor-ci: cannot write $profile" >&2
    exit 2
  fi
  echo "tailor-ci: wrote $profile from this run; review and commit it"
  exit 0
fi

# 3. Compare. TAILOR_DIFF_ARGS is split into words on purpose (several options).
if [ -n "$report" ]; then
  # shellcheck disable=SC2086
  "$TAILOR" diff ${TAILOR_DIFF_ARGS:-} --format markdown -o "$report" "$profile" "$recorded"
  [ $? -le 1 ] || exit 2
fi
# shellcheck disable=SC2086
"$TAILOR" diff ${TAILOR_DIFF_ARGS:-} --color never "$profile" "$recorded"
status=$?
case "$status" in
  0) echo "tailor-ci: the tests need nothing $profile does not allow" ;;
  1) echo "tailor-ci: DRIFT: the tests need more than $profile allows (lines starting with +)." >&2
     echo "tailor-ci: if that is intended, run with -u and commit the updated $profile." >&2 ;;
  *) echo "tailor-ci: tailor diff failed (exit $status)" >&2; status=2 ;;
esac
exit "$status"
