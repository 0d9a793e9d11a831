#!/usr/bin/env bash
# CI: the install, the build and the end-to-end tests once more on Node 24, in a copy of the repo so
# that the Node 20 tree (its node_modules and dist/) stays as it is. Node 24 comes from the npm
# registry's `node` package (it installs node-<os>-<arch> with bin/node and the headers in
# include/node); npm ci compiles better-sqlite3 12 against those headers, offline (--nodedir).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
start=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/igmcp-node24.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { echo "ci-node24: [$((SECONDS - start)) s] $*"; }
quiet() { # runs a command with its output in a log, shown only when it fails
  local log=$1
  shift
  "$@" >"$log" 2>&1 || { local rc=$?; cat "$log" >&2; echo "ci-node24: FAILED ($rc): $*" >&2; exit "$rc"; }
}

step "installing Node 24 from the npm registry (node@24)"
quiet "$work/toolchain.log" npm install --no-save --no-package-lock --no-audit --no-fund --prefix "$work/toolchain" node@24
header=$(find "$work/toolchain/node_modules" -path '*/include/node/node_version.h' -print -quit)
[[ -n "$header" ]] || { echo "ci-node24: no include/node/node_version.h in the node package" >&2; exit 1; }
nodedir=$(dirname "$(dirname "$(dirname "$header")")")
[[ -x "$nodedir/bin/node" ]] || { echo "ci-node24: no bin/node beside $header" >&2; exit 1; }
version=$("$nodedir/bin/node" --version)
[[ $version == v24.* ]] || { echo "ci-node24: the node package gave $version, not v24" >&2; exit 1; }
# Everything below (npm's own scripts, node-gyp, tsc, vitest and the servers it spawns) runs on it.
export PATH="$nodedir/bin:$PATH"
export npm_config_nodedir="$nodedir"
step "node $(node --version) at $nodedir/bin/node, npm $(npm --version)"

step "copying the repo (without node_modules, dist/ and .git) to $work/repo"
mkdir "$work/repo"
tar -C "$repo" --exclude=./node_modules --exclude=./dist --exclude=./.git --exclude=./coverage --exclude=./.data --exclude=./bench/tmp -cf - . | tar -C "$work/repo" -xf -
cd "$work/repo"

# As a user on Node 24 installs it: npm ci compiles better-sqlite3 12 against the node package's
# headers (offline, --nodedir) and installs the optional better-sqlite3 13 (Node-API prebuilds),
# which npm leaves out on Node 20.
step "npm ci on Node 24"
npm_config_jobs=max quiet "$work/install.log" npm ci --no-audit --no-fund
[[ -f node_modules/better-sqlite3-node22/package.json ]] || { echo "ci-node24: npm ci left out the optional better-sqlite3-node22" >&2; exit 1; }

step "building (tsc) on Node 24"
rm -rf dist
quiet "$work/build.log" npm run build
[[ -f dist/index.js ]] || { echo "ci-node24: the build wrote no dist/index.js" >&2; exit 1; }
echo "ci-node24: dist/index.js --version: $(node dist/index.js --version)"

# better-sqlite3 12 aborts Node 24 when a garbage collection finalizes a statement outside a JS
# context (WiseLibs/better-sqlite3#1515); the store must open 13 here. The loop prepares enough
# statements that collections finalize many of them.
step "the store's SQLite binding on Node 24"
node --input-type=module -e '
  const { sqliteBinding } = await import("./dist/store/sqliteBinding.js");
  const { Database, packageName } = sqliteBinding();
  if (packageName !== "better-sqlite3-node22") { console.error(`ci-node24: the store opened ${packageName}, not better-sqlite3-node22`); process.exit(1); }
  const db = new Database(":memory:");
  for (let i = 0; i < 300000; i++) db.prepare("select ? as v").get(i);
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (let i = 0; i < 100000; i++) db.prepare("select ? as v").get(i);
  db.close();
  console.log(`ci-node24: the store opens ${packageName} (SQLite ${new Database(":memory:").prepare("select sqlite_version() as v").get().v}); 400,000 statements prepared and collected without an abort`);
'

step "end-to-end tests on Node 24"
npx vitest run tests/e2e

step "done on $(node --version)"
