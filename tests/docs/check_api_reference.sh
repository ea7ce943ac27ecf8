#!/usr/bin/env bash
# The API reference renders in a real browser: headless Chromium opens the index, then the class
# list, follows its links to the main classes' pages and finds, in each page's DOM after its
# scripts ran, the class's title and its members.
# Usage: check_api_reference.sh HTML_DIR. Exits 77 (skipped) without chromium.
set -euo pipefail
html=$(realpath "$1")
fail() { echo "FAIL: $*" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "SKIPPED: no chromium (Debian: apt-get install chromium)"; exit 77; }
profile=$(mktemp -d "${TMPDIR:-/tmp}/jitcu-chromium.XXXXXX")
trap 'rm -rf "$profile"' EXIT

dom() {
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$profile" \
    --virtual-time-budget=2000 --dump-dom "file://$1" 2>/dev/null
}

index=$(dom "$html/index.html")
grep -q "jitcu API reference" <<<"$index" || fail "index.html does not show the main page's title"
grep -q "jitcu::Engine" <<<"$index" || fail "index.html does not mention jitcu::Engine"

classes=$(dom "$html/annotated.html")
# class -> members its page's member table must list
declare -A members=(
  [Engine]="compile compile_async compile_many compile_each default_arch"
  [Module]="kernel has_kernel kernel_names ptx cache_key"
  [Kernel]="launch params"
  [Source]="file string name text"
  [DeviceBuffer]="copy_from copy_to size"
)
for class in "${!members[@]}"; do
  link=$(grep -oE "href=\"[^\"]+\"[^>]*>(jitcu::)?${class}<" <<<"$classes" | head -1 | sed -E 's/href="([^"]+)".*/\1/')
  [ -n "$link" ] || fail "the class list has no link to jitcu::$class"
  page=$(dom "$html/$link")
  grep -qE "<div class=\"title\">jitcu::${class}(&lt; [^&]* &gt;)? (Class|Struct)( Template)? Reference" <<<"$page" \
    || fail "$link does not render the title of jitcu::$class"
  for member in ${members[$class]}; do
    # in the member table: a link when the member has details, else bold
    grep -qE "mem(Templ)?ItemRight.*(<b>|\">)${member}(</b>|</a>)" <<<"$page" || fail "$link does not list ${class}::${member}"
  done
  echo "ok: jitcu::$class ($link): ${members[$class]}"
done
