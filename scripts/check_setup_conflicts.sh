#!/usr/bin/env bash
# Check, without touching this machine, that scripts/setup.sh replaces Boost
# 1.74's -dev packages with 1.81's.
#
#   ./scripts/check_setup_conflicts.sh
#
# For each scenario it builds a fake dpkg state: this machine's, without the
# Boost 1.81 -dev packages, plus what `apt-get -s install <scenario
# packages>` says apt would install for them (so the state is one apt could
# really reach). It then runs `setup.sh --simulate deps` against that state
# (DPKG_ADMINDIR for dpkg-query, APT_CONFIG for apt-get, which runs as
# `apt-get -s`) and checks apt's plan: every scenario package is removed,
# libboost-{fiber,context}1.81-dev are installed, and apt reports no broken
# dependency. Nothing on the machine changes. Needs apt's package lists
# (apt-get update); KEEP_WORK=1 keeps the fake states for inspection.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap '[[ -n ${KEEP_WORK:-} ]] || rm -rf "$work"' EXIT

if ! apt-cache show libboost-fiber1.74-dev >/dev/null 2>&1; then
  echo "apt has no package lists (run apt-get update); skipped" >&2
  exit 0
fi

# A dpkg status file on stdout: the status file $1 without the packages named
# in file $2.
status_without() {
  awk -v drop="$2" 'BEGIN {
         while ((getline p < drop) > 0) gone[p] = 1
         RS = ""; ORS = "\n\n"
       }
       {
         name = $0; sub(/^Package: /, "", name); sub(/\n.*/, "", name)
         if (!(name in gone)) print
       }' "$1"
}

# `apt-cache show` stanzas for the name=version lines of file $1, rewritten
# as installed dpkg status entries.
installed_stanzas() {
  # shellcheck disable=SC2046
  apt-cache show $(cat "$1") | awk '
    /^Package:/ { print; print "Status: install ok installed"; skip = 0; next }
    /^(Filename|Size|MD5sum|SHA256|SHA1|Description-md5|Tag):/ { skip = 1; next }
    /^[ \t]/ { if (!skip) print; next }
    /^$/ { print; skip = 0; next }
    { skip = 0; print }'
}

# Write the state this machine would have if the packages "$@" had been
# installed on it instead of Boost 1.81's -dev packages, as apt itself
# would install them (so that the fake state is consistent), to $admin.
make_state() {
  local admin=$1
  shift
  mkdir -p "$admin/info" "$admin/updates" "$admin/triggers"
  : >"$admin/available"
  dpkg-query -W -f='${Package}\n' 'libboost*1.81-dev' >"$admin/drop"
  status_without /var/lib/dpkg/status "$admin/drop" >"$admin/base"
  apt-get -s -q -o Dir::State::status="$admin/base" \
    install --no-install-recommends "$@" >"$admin/plan" 2>&1 || {
    cat "$admin/plan"
    return 1
  }
  sed -nE 's/^Inst ([^ ]+) (\[[^]]*\] )?\(([^ ]+) .*/\1=\3/p' \
    "$admin/plan" >"$admin/inst"
  { sed 's/=.*//' "$admin/inst"; sed -nE 's/^Remv ([^ ]+) .*/\1/p' \
    "$admin/plan"; } >"$admin/drop2"
  status_without "$admin/base" "$admin/drop2" >"$admin/status"
  installed_stanzas "$admin/inst" >>"$admin/status"
  printf 'Dir::State::status "%s/status";\n' "$admin" >"$admin/apt.conf"
  printf 'Dir::State::extended_states "%s/extended_states";\n' "$admin" \
    >>"$admin/apt.conf"
}

failures=0
scenario() {
  local name=$1
  shift
  local admin=$work/$name
  local p
  make_state "$admin" "$@" || {
    echo "FAIL: apt cannot install $* here"
    failures=$((failures + 1))
    return
  }
  for p in "$@"; do
    DPKG_ADMINDIR=$admin dpkg-query -W "$p" >/dev/null || {
      echo "FAIL: could not build a state with $p installed"
      failures=$((failures + 1))
      return
    }
  done

  echo "== scenario $name: installed $*"
  local out
  out=$(DPKG_ADMINDIR=$admin APT_CONFIG=$admin/apt.conf \
    "$repo_root/scripts/setup.sh" --simulate deps 2>&1) || {
    printf '%s\n' "$out"
    echo "FAIL: setup.sh --simulate exited non-zero"
    failures=$((failures + 1))
    return
  }
  printf '%s\n' "$out" | grep -E '^\[setup\]|^(Remv|Inst) libboost' || true
  local ok=1
  for p in libboost-fiber1.81-dev libboost-context1.81-dev; do
    grep -q "^Inst $p " <<<"$out" || {
      echo "FAIL: $p is not installed"
      ok=0
    }
  done
  for p in "$@"; do
    grep -q "^Remv $p " <<<"$out" || {
      echo "FAIL: $p is not removed"
      ok=0
    }
  done
  if grep -qE 'unmet dependencies|broken packages' <<<"$out"; then
    echo "FAIL: apt reports broken dependencies"
    ok=0
  fi
  if ((ok)); then
    echo "ok"
  else
    failures=$((failures + 1))
  fi
}

scenario fiber174 libboost1.74-dev libboost-fiber1.74-dev \
  libboost-context1.74-dev
scenario default-dev libboost-dev libboost-fiber-dev libboost-context-dev
scenario all-dev libboost-all-dev

if ((failures)); then
  echo "$failures scenario(s) failed"
  exit 1
fi
echo "all scenarios passed"
