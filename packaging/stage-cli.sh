#!/usr/bin/env bash
# Run by `tauri build` before it bundles (tauri.conf.json beforeBundleCommand):
# builds the `wicket` command in the same profile as the app and stages it at
# packaging/staged/wicket, which the Debian and RPM packages install as
# /usr/bin/wicket beside the app.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
if [ "${TAURI_ENV_DEBUG:-false}" = "true" ]; then
  cargo build --locked -p wicket-cli
  profile=debug
else
  cargo build --locked --release -p wicket-cli
  profile=release
fi
mkdir -p packaging/staged
install -m 0755 "$target/$profile/wicket" packaging/staged/wicket
echo "staged $target/$profile/wicket for the packages"
