#!/usr/bin/env bash
# Makes sure the programs govwire runs to read attachments are installed:
# `pdftotext` (poppler-utils, with poppler-data for the CJK character
# collections of PDFs whose fonts are not embedded) for PDF, and `antiword` and
# `catdoc` for Word 97 (.doc) files. Installs them from the system's packages when missing and
# running as root with apt-get; otherwise says what is missing and fails.
set -euo pipefail
missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[ -d /usr/share/poppler/cMap/Adobe-GB1 ] || missing+=(poppler-data)
if ! command -v antiword >/dev/null 2>&1; then missing+=(antiword); fi
if ! command -v catdoc >/dev/null 2>&1; then missing+=(catdoc); fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "Attachment tools: pdftotext (with poppler-data), antiword and catdoc installed"; exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Attachment tools: installing ${missing[*]} from the system's packages..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Attachment tools missing: ${missing[*]}." >&2
  echo "  Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}), then run this again." >&2
  exit 1
fi
if [ ! -d /usr/share/poppler/cMap/Adobe-GB1 ]; then
  echo "Attachment tools: poppler-data is still missing after the install." >&2
  exit 1
fi
for tool in pdftotext antiword catdoc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "Attachment tools: $tool is still missing after the install." >&2
    exit 1
  fi
done
echo "Attachment tools: pdftotext, antiword and catdoc installed"
