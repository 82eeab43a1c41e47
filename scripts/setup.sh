#!/usr/bin/env bash
# Set up a Debian 12 (bookworm) machine for otp-cpp, build it, and run the
# demo or the test suite.
#
#   ./scripts/setup.sh demo    install what is missing, build, run the demo
#   ./scripts/setup.sh test    install what is missing, build, run all tests
#   ./scripts/setup.sh deps [PKG...]
#                              only install what is missing (plus PKG...)
#   ./scripts/setup.sh --simulate deps|demo|test [PKG...]
#                              show what apt-get would do (apt-get -s) and
#                              stop: nothing is installed, removed or built
#
# Environment: OTP_BUILD_DIR (default: build), OTP_BUILD_TYPE (default:
# RelWithDebInfo), OTP_JOBS (default: nproc).
#
# Boost must be 1.81 (Debian's libboost-*1.81-dev), not bookworm's default
# 1.74, whose Boost.Fiber loses wake-ups in cross-thread timed waits. The two
# versions' -dev packages conflict, so -dev packages of any other Boost
# version (libboost1.74-dev, libboost-fiber1.74-dev, and the unversioned
# libboost-dev / libboost-all-dev / libboost-<lib>-dev that pull in 1.74) are
# removed in the same apt transaction that installs 1.81. Runtime libraries
# (libboost-*1.74.0) stay: they coexist with 1.81.
#
# Only Debian's own package archive is used; nothing else is downloaded.
set -euo pipefail

readonly boost_version=1.81
readonly packages=(
  g++ cmake make
  "libboost-fiber${boost_version}-dev" "libboost-context${boost_version}-dev"
  nlohmann-json3-dev catch2
)

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

log() { printf '[setup] %s\n' "$*" >&2; }
die() {
  printf '[setup] error: %s\n' "$*" >&2
  exit 1
}

simulate=0
if [[ ${1:-} == --simulate ]]; then
  simulate=1
  shift
fi
[[ $# -ge 1 ]] || usage
command=$1
shift
case $command in
demo | test) [[ $# -eq 0 ]] || usage ;;
deps) ;;
*) usage ;;
esac
extra_packages=("$@")

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
build_dir=${OTP_BUILD_DIR:-build}
build_type=${OTP_BUILD_TYPE:-RelWithDebInfo}
jobs=${OTP_JOBS:-$(nproc 2>/dev/null || echo 2)}

# -- packages -----------------------------------------------------------------

# True if dpkg considers the package installed (not merely known, nor
# removed with its configuration files left behind).
is_installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
  [[ ${status:1:1} == [iUFWt] ]]
}

# Installed Boost -dev packages of a version other than $boost_version, which
# conflict with (or depend on packages that conflict with) the ones we need.
conflicting_boost_packages() {
  local status name version
  dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Version}\n' \
    'libboost*-dev' 2>/dev/null |
    while IFS=$'\t' read -r status name version; do
      [[ ${status:1:1} == [iUFWt] ]] || continue
      # libboostX.Y-tools-dev (bjam) conflicts with no library package.
      [[ $name == *tools-dev ]] && continue
      if [[ $name =~ ^libboost.*([0-9]+\.[0-9]+)-dev$ ]]; then
        # Versioned: libboost1.74-dev, libboost-fiber1.74-dev, ...
        [[ ${BASH_REMATCH[1]} == "$boost_version" ]] || printf '%s\n' "$name"
      elif [[ $version != "$boost_version".* ]]; then
        # Unversioned defaults (libboost-dev, libboost-all-dev,
        # libboost-fiber-dev, ...) whose version names the Boost they pull.
        printf '%s\n' "$name"
      fi
    done
}

apt_get() {
  local -a cmd=(apt-get -y -q)
  ((simulate)) && cmd+=(-s)
  cmd+=("$@")
  if ((simulate)) || [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive "${cmd[@]}"
  elif command -v sudo >/dev/null; then
    sudo env DEBIAN_FRONTEND=noninteractive "${cmd[@]}"
  else
    die "apt-get $* needs root: run this script as root, or install sudo"
  fi
}

install_packages() {
  if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    log "no dpkg/apt-get here: install these (or your system's equivalents)" \
      "yourself: ${packages[*]} ${extra_packages[*]}"
    return 0
  fi
  local -a missing=() conflicts=()
  local p
  for p in "${packages[@]}" "${extra_packages[@]}"; do
    is_installed "$p" || missing+=("$p")
  done
  mapfile -t conflicts < <(conflicting_boost_packages)
  if ((${#missing[@]} == 0 && ${#conflicts[@]} == 0)); then
    log "all packages present: ${packages[*]} ${extra_packages[*]}"
    return 0
  fi
  if ((${#missing[@]})); then
    log "missing: ${missing[*]}"
  fi
  if ((${#conflicts[@]})); then
    log "removing Boost -dev packages that conflict with Boost" \
      "${boost_version}: ${conflicts[*]}"
    log "(apt-get also removes whatever depends on them; see its list below)"
  fi
  if ((simulate)); then
    log "simulating: apt-get update skipped, nothing is changed"
  else
    apt_get update
  fi
  # One transaction: `name-` removes a package, so the old -dev packages go
  # and 1.81 comes in together; a failed download leaves the old set intact.
  apt_get install --no-install-recommends "${missing[@]}" "${conflicts[@]/%/-}"
}

# -- build and run ------------------------------------------------------------

configure_and_build() {
  log "configuring $build_dir ($build_type)"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type"
  log "building $* with $jobs jobs"
  cmake --build "$build_dir" -j "$jobs" "$@"
}

install_packages
if ((simulate)); then
  log "simulation done"
  exit 0
fi

case $command in
deps) ;;
demo)
  configure_and_build --target demo
  demo=$build_dir/examples/demo
  [[ -x $demo ]] || die "$demo was not built"
  log "running $demo"
  "$demo"
  ;;
test)
  configure_and_build
  log "running the test suite"
  ctest --test-dir "$build_dir" --output-on-failure -j "$jobs"
  ;;
esac
