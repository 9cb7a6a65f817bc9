#!/usr/bin/env bash
# Makes sure the programs govwire runs, and those its tests need, are
# installed: `pdftotext` (poppler-utils, with poppler-data for the CJK
# character collections of PDFs whose fonts are not embedded) for PDF, and
# `antiword` and `catdoc` for Word 97 (.doc) files, to read attachments;
# `chromium` (headless) and the CJK font `fonts-wqy-zenhei`, with which the
# analytics and archive tests open their HTML pages in a real browser and
# take screenshots of them (Chinese text renders only with a CJK font
# installed).
# Installs them from the system's packages when missing and running as root
# with apt-get; otherwise says what is missing and fails.
set -euo pipefail
WQY_FONT=/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[ -d /usr/share/poppler/cMap/Adobe-GB1 ] || missing+=(poppler-data)
if ! command -v antiword >/dev/null 2>&1; then missing+=(antiword); fi
if ! command -v catdoc >/dev/null 2>&1; then missing+=(catdoc); fi
if ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi
[ -f "$WQY_FONT" ] || missing+=(fonts-wqy-zenhei)
if [ ${#missing[@]} -eq 0 ]; then
  echo "Tools: pdftotext (with poppler-data), antiword, catdoc, chromium and fonts-wqy-zenhei installed"; exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Tools: installing ${missing[*]} from the system's packages..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Tools missing: ${missing[*]}." >&2
  echo "  Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}), then run this again." >&2
  exit 1
fi
if [ ! -d /usr/share/poppler/cMap/Adobe-GB1 ]; then
  echo "Tools: poppler-data is still missing after the install." >&2
  exit 1
fi
if [ ! -f "$WQY_FONT" ]; then
  echo "Tools: fonts-wqy-zenhei is still missing after the install." >&2
  exit 1
fi
for tool in pdftotext antiword catdoc chromium; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "Tools: $tool is still missing after the install." >&2
    exit 1
  fi
done
echo "Tools: pdftotext, antiword, catdoc, chromium and fonts-wqy-zenhei installed"
