#!/usr/bin/env bash
# Runs the parser's fuzz target (fuzz/fuzz_targets/parse_page.rs) for a
# bounded time on the stable toolchain: cargo-fuzz without a sanitizer, with
# RUSTC_BOOTSTRAP=1 for the few unstable flags it passes to rustc. Installs
# cargo-fuzz from crates.io when missing. Seeds the corpus with the real
# reply's text laid out as a page. Crashes land in fuzz/artifacts/parse_page/.
#
# Usage: scripts/fuzz.sh [SECONDS]   (default: $FUZZ_SECONDS, else 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-${FUZZ_SECONDS:-60}}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz from crates.io..."
  cargo install cargo-fuzz --locked
fi
corpus=fuzz/corpus/parse_page
mkdir -p "$corpus"
if [ -z "$(find "$corpus" -type f ! -name .keep -print -quit)" ]; then
  {
    printf '\x01<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><h1>对市十五届人大六次会议 第0184号代表建议的答复</h1><div class="article-content"><div class="TRS_Editor">'
    sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/^/<p>/' -e 's/$/<\/p>/' corpus/putuo-pufu-2022-55.txt
    printf '</div></div></body></html>'
  } > "$corpus/seed-real-reply.html"
fi
cd fuzz
RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none parse_page "corpus/parse_page" -- \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144
