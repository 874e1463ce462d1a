#!/usr/bin/env bash
# Builds oneTBB instrumented for ThreadSanitizer into PREFIX, from Debian's source package of the oneTBB
# installed (same version as libtbb-dev), so that ThreadSanitizer sees the synchronization inside oneTBB
# (task hand-offs, pipeline tokens, waits): with Debian's uninstrumented library every hand-off between
# oneTBB threads looks like a race. scripts/sanitize.sh tsan builds against it. A no-op when PREFIX holds it.
# Usage: scripts/tsan-onetbb.sh PREFIX      (needs Debian's source mirrors and cmake; about 5 minutes)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 PREFIX" >&2; exit 2; }
prefix=$(realpath -m "$1")
[ -f "$prefix/install/lib/cmake/TBB/TBBConfig.cmake" ] && exit 0
version=$(dpkg-query -W -f='${source:Version}' libtbb-dev)
upstream=${version%%-*}
work=$prefix/src
mkdir -p "$work/lists/partial"
# Debian's source mirrors, beside (not instead of) the machine's apt configuration.
cat >"$work/sources.list" <<LIST
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian-security bookworm-security main
LIST
apt_options=(-o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=/dev/null
  -o Dir::State::Lists="$work/lists" -o Debug::NoLocking=1)
apt-get "${apt_options[@]}" update >/dev/null
(cd "$work" && apt-get "${apt_options[@]}" source --download-only "onetbb=$version" >/dev/null 2>&1)
tar -xf "$work/onetbb_${upstream}.orig.tar.xz" -C "$work"
# TBB_STRICT=OFF: GCC warns that ThreadSanitizer does not model atomic_thread_fence, and oneTBB's strict
# mode makes warnings errors.
cmake -S "$work/oneTBB-$upstream" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_SANITIZE=thread \
  -DTBB_STRICT=OFF -DTBB_TEST=OFF -DTBBMALLOC_BUILD=OFF -DCMAKE_INSTALL_PREFIX="$prefix/install" >/dev/null
cmake --build "$work/build" -j "$(nproc)" >/dev/null
cmake --install "$work/build" >/dev/null
echo "tsan-onetbb: oneTBB $upstream with ThreadSanitizer in $prefix/install"
