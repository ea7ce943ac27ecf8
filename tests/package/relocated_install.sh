#!/usr/bin/env bash
# An installed jitcu is relocatable and needs nothing from where it was built: install to a
# prefix, move the prefix, then build a consumer against the new place and run it, and the
# installed `jitcu` tool, with the build and source trees hidden (an empty tmpfs mounted over
# each in a private mount namespace: to these programs they are deleted). The consumer runs
# compile_async and compile_many, which start the installed jitcu-worker.
# Usage: relocated_install.sh BUILD_DIR SOURCE_DIR
# Exits 77 (skipped) when this machine allows no private mount namespace (unshare -m).
set -euo pipefail
build=$(realpath "$1")
source=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/jitcu-relocated.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
case "$work" in "$build"* | "$source"*) fail "TMPDIR ($work) must be outside the build and source trees" ;; esac

cmake --install "$build" --prefix "$work/first" >/dev/null || fail "cmake --install $build failed"
mv "$work/first" "$work/moved"
prefix=$work/moved

# No installed file names the build tree, other than in debug information.
for file in $(find "$prefix" -type f); do
  if [ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" = "177ELF" ]; then
    text=$(readelf -d "$file" 2>/dev/null; strings -d "$file")
  else
    text=$(cat "$file")
  fi
  ! grep -qF "$build" <<<"$text" || fail "$file names the build tree $build"
done
[ -x "$prefix/libexec/jitcu/jitcu-worker" ] || fail "no worker at $prefix/libexec/jitcu/jitcu-worker"

cmake -S "$source/tests/package" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null \
  || fail "configuring the consumer against the moved prefix failed"
cmake --build "$work/consumer" >/dev/null || fail "building the consumer failed"
cat >"$work/a.cu" <<'CU'
extern "C" __global__ void a(float* x) { x[threadIdx.x] += 1.0f; }
CU
sed 's/void a(/void b(/; s/+= 1.0f/+= 2.0f/' "$work/a.cu" >"$work/b.cu"

# Runs "$@" with the build and source trees hidden; nothing from there can be read or executed.
if unshare -m -- true 2>/dev/null; then
  namespace=(unshare -m --)
elif unshare -r -m -- true 2>/dev/null; then
  namespace=(unshare -r -m --)
else
  echo "SKIPPED: no private mount namespace here (unshare -m), so the build tree cannot be hidden"
  exit 77
fi
hidden() {
  "${namespace[@]}" sh -c 'mount -t tmpfs none "$1" && mount -t tmpfs none "$2" && shift 2 && exec "$@"' \
    sh "$build" "$source" "$@"
}
hidden test ! -e "$build/CMakeCache.txt" || fail "the build tree is still visible inside the namespace"

export JITCU_CACHE_DIR="$work/cache" JITCU_WORKER=
hidden "$work/consumer/consumer" || fail "the consumer failed against the moved prefix with the build tree hidden"
hidden "$prefix/bin/jitcu" --version | grep -q "^jitcu " || fail "the moved jitcu tool does not run"
hidden "$prefix/bin/jitcu" compile -j 2 --progress plain --arch sm_90 "$work/a.cu" "$work/b.cu" \
  || fail "the moved jitcu tool's compile -j failed"
echo "relocated install: consumer and tool ran from $prefix with the build tree hidden"
