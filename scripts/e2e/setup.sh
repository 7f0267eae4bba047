#!/usr/bin/env bash
# Installs what the end-to-end test of the VS Code extension needs, once per machine, into
# .tools/ (ignored by git): Debian's Chromium (through scripts/system-packages.sh) and the packages code-server's native parts
# build with, and code-server 4.100.3 (VS Code 1.100.3, the last line that runs on Node.js 20).
# Follows ../shared/recipes/vscode-e2e.md. Prints the code-server binary's path on stdout.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CS_VERSION=4.100.3
CS_DIR="$ROOT/.tools/code-server-$CS_VERSION-node$(node -p 'process.versions.node.split(".")[0]')"
log() { echo "e2e setup: $*" >&2; }

# Debian's packages come through the one installer CI and developers share.
"$ROOT/scripts/system-packages.sh" chromium ripgrep build

if [ ! -x "$CS_DIR/node_modules/.bin/code-server" ] || [ ! -e "$CS_DIR/.complete" ]; then
  log "installing code-server $CS_VERSION into $CS_DIR"
  rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"; cd "$CS_DIR"
  # argon2 builds from source (its prebuilt download fails offline); code-server's own
  # postinstall is redone by hand below (it would download ripgrep from GitHub).
  cat > package.json <<JSON
{"name":"cs-host","private":true,"version":"0.0.0","dependencies":{"code-server":"$CS_VERSION"},
 "allowScripts":{"argon2":true,"code-server":false}}
JSON
  npm install --no-audit --no-fund --loglevel=error >&2
  VS="$CS_DIR/node_modules/code-server/lib/vscode"
  cd "$VS"
  node -e 'const fs=require("fs");const p=JSON.parse(fs.readFileSync("package.json"));
p.allowScripts={"@parcel/watcher":true,"@vscode/deviceid":true,"@vscode/spdlog":true,"@vscode/windows-process-tree":true,
"@vscode/windows-registry":true,"kerberos":true,"native-watchdog":true,"node-pty":true,"@vscode/ripgrep":false};
fs.writeFileSync("package.json",JSON.stringify(p,null,2))'
  npm install --no-audit --no-fund --omit=dev --ignore-scripts --loglevel=error >&2
  env npm_config_yes=true npm rebuild >&2 2>&1 || true
  mkdir -p node_modules/@vscode/ripgrep/bin && ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  ln -sfn node_modules node_modules.asar
  ln -sfn code-linux.sh bin/remote-cli/code-server
  ln -sfn browser-linux.sh bin/helpers/browser.sh
  (cd extensions && npm install --no-audit --no-fund --omit=dev --ignore-scripts --loglevel=error >&2 && node postinstall.mjs >/dev/null)
  "$CS_DIR/node_modules/.bin/code-server" --version >&2
  touch "$CS_DIR/.complete"
fi
echo "$CS_DIR/node_modules/.bin/code-server"
