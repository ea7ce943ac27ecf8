#!/usr/bin/env bash
# The installed jitcu asks a consumer for nothing it does not use: a consumer project configured
# where only the install prefix is visible to find_package/find_path (spdlog, fmt, nlohmann-json,
# CLI11, xxHash and OpenSSL unfindable, which its CMakeLists checks first) configures, builds,
# reads no header of those libraries (Ninja's dependency list), links none of them, and runs.
# Usage: isolated_consumer.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
source=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/jitcu-isolated.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null || fail "cmake --install $build failed"
cmake -S "$source/tests/package" -B "$work/consumer" -G Ninja -DJITCU_CONSUMER_EXPECT_HIDDEN=ON \
  -DCMAKE_FIND_ROOT_PATH="$work/prefix" -DCMAKE_PREFIX_PATH=/ \
  -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY -DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY \
  -DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY -DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER \
  || fail "configuring the consumer with only $work/prefix visible failed (see above: does jitcuConfig.cmake ask for a package the consumer does not use?)"
cmake --build "$work/consumer" || fail "building the consumer failed"

headers=$(ninja -C "$work/consumer" -t deps)
leaked=$(grep -E '/(spdlog|fmt|nlohmann|CLI|openssl)/|xxhash\.h' <<<"$headers" || true)
[ -z "$leaked" ] || fail "the consumer's compile read private dependencies' headers:
$leaked"
grep -q "$work/prefix/include/jitcu/jitcu.hpp" <<<"$headers" || fail "the consumer did not read the installed jitcu.hpp"

needed=$(readelf -d "$work/consumer/consumer" | grep NEEDED)
! grep -E 'spdlog|fmt|crypto|ssl' <<<"$needed" || fail "the consumer links a private dependency of jitcu"

JITCU_CACHE_DIR="$work/cache" "$work/consumer/consumer" || fail "the consumer failed"
echo "isolated consumer: configured, built and ran with only the install prefix visible"
