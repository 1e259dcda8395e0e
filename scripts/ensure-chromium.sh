#!/usr/bin/env bash
# The page test (test/html-report.test.ts) opens demo.html in a real headless Chromium.
# Finds one (CHROMIUM_PATH, then chromium, chromium-browser, google-chrome on PATH); when none is
# there, installs Debian's `chromium` package (as root, or through sudo without a password).
# Never fails `npm test` by itself: when no browser can be had, it says so loudly and the page test
# skips outside CI (in CI, where CI=true, the page test fails instead).
set -uo pipefail
for candidate in "${CHROMIUM_PATH:-}" "$(command -v chromium || true)" "$(command -v chromium-browser || true)" "$(command -v google-chrome || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    exit 0
  fi
done
install() {
  DEBIAN_FRONTEND=noninteractive $1 apt-get update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive $1 apt-get install -y -qq --no-install-recommends chromium >/dev/null
}
if command -v apt-get >/dev/null; then
  echo "ensure-chromium: no Chromium found; installing Debian's chromium package for the page test…" >&2
  if [ "$(id -u)" = 0 ]; then install ""; elif sudo -n true 2>/dev/null; then install "sudo -n"; fi
  if command -v chromium >/dev/null; then exit 0; fi
fi
cat >&2 <<'MSG'
************************************************************************************************
ensure-chromium: NO CHROMIUM. The page test (test/html-report.test.ts) will be SKIPPED.
Install one (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium
or Chrome binary, then run npm test again.
************************************************************************************************
MSG
exit 0
