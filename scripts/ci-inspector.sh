#!/usr/bin/env bash
# CI: drives the built server (dist/, so run after `npm test` or `npm run build`) with a real MCP
# client, the MCP Inspector CLI (pinned), over stdio and over Streamable HTTP with a bearer token:
# tools/list, one call that succeeds and one that fails with the error contract (isError, a
# "What to do:" hint, no structuredContent). Sandbox mode, a throw-away data dir, nothing real.
set -euo pipefail
cd "$(dirname "$0")/.."

INSPECTOR=(npx -y @modelcontextprotocol/inspector@0.21.2 --cli)
[[ -f dist/index.js ]] || { echo "ci-inspector: dist/index.js is missing; run npm run build first" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/igmcp-inspector.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

checked=0
fail() {
  echo "ci-inspector: FAILED: $1" >&2
  for f in "${@:2}"; do [[ -s "$f" ]] && { echo "--- $(basename "$f"):" >&2; cat "$f" >&2; }; done
  exit 1
}

# check LABEL KIND OUT ERR: asserts on the inspector's JSON output (KIND: list, ok, error).
check() {
  local label=$1 kind=$2 out=$3 err=$4
  node -e '
    const fs = require("node:fs");
    const [kind, file] = process.argv.slice(1);
    const text = fs.readFileSync(file, "utf8");
    const result = JSON.parse(text.slice(text.indexOf("{")));
    const problems = [];
    if (kind === "list") {
      const names = (result.tools ?? []).map((t) => t.name);
      for (const name of ["instagram_create_post", "instagram_accounts", "instagram_get_posts"]) if (!names.includes(name)) problems.push(`no tool ${name}`);
      if (!problems.length) console.log(`${names.length} tools`);
    } else if (kind === "ok") {
      if (result.isError) problems.push(`isError result: ${JSON.stringify(result.content)}`);
      if (!result.structuredContent) problems.push("no structuredContent");
      if (!problems.length) console.log("isError absent, structuredContent present");
    } else {
      const body = (result.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
      if (result.isError !== true) problems.push(`"isError": true missing (got ${JSON.stringify(result.isError)})`);
      if (!body.includes("What to do:")) problems.push(`no "What to do:" hint in ${JSON.stringify(body)}`);
      if ("structuredContent" in result) problems.push("an error result carries structuredContent");
      if (!problems.length) console.log(`"isError": true, ${JSON.stringify(body.split("\n")[0])} + "What to do: ..."`);
    }
    if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
  ' "$kind" "$out" >"$tmp/verdict" 2>&1 || fail "$label: $(cat "$tmp/verdict")" "$out" "$err"
  checked=$((checked + 1))
  echo "ok $checked - $label: $(cat "$tmp/verdict")"
}

# inspect LABEL KIND TARGET-AND-OPTIONS...: one inspector run, then its check.
inspect() {
  local label=$1 kind=$2
  shift 2
  local out="$tmp/out.json" err="$tmp/err.txt"
  "${INSPECTOR[@]}" "$@" >"$out" 2>"$err" || fail "$label: the inspector exited with $?" "$out" "$err"
  check "$label" "$kind" "$out" "$err"
}

echo "ci-inspector: node $(node --version), ${INSPECTOR[*]}"

# --- stdio: the inspector spawns the server, env through -e.
stdio_env=(-e INSTAGRAM_MCP_SANDBOX=1 -e "INSTAGRAM_MCP_DATA_DIR=$tmp/stdio-data")
inspect "stdio tools/list lists instagram_create_post" list "${stdio_env[@]}" node dist/index.js --method tools/list
inspect "stdio tools/call instagram_accounts succeeds" ok "${stdio_env[@]}" node dist/index.js --method tools/call --tool-name instagram_accounts
inspect "stdio tools/call instagram_get_posts account=@nobody fails with a hint" error "${stdio_env[@]}" node dist/index.js \
  --method tools/call --tool-name instagram_get_posts --tool-arg account=@nobody

# --- Streamable HTTP with a bearer token generated now; port 0 and the URL read from the server's log.
token=$(node -e 'console.log(require("node:crypto").randomBytes(24).toString("hex"))')
INSTAGRAM_MCP_SANDBOX=1 INSTAGRAM_MCP_DATA_DIR="$tmp/http-data" INSTAGRAM_MCP_HTTP_TOKEN="$token" INSTAGRAM_MCP_LOG_LEVEL=info \
  node dist/index.js --transport http --host 127.0.0.1 --port 0 >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
url=""
for _ in $(seq 1 600); do # up to 60 s, a safety net: the server logs its URL once it listens
  url=$(node -e '
    const lines = require("node:fs").readFileSync(process.argv[1], "utf8").split("\n");
    for (const l of lines) { try { const j = JSON.parse(l); if (j.msg === "serving MCP over HTTP") { console.log(j.mcp); break; } } catch {} }
  ' "$tmp/server.err")
  [[ -n "$url" ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "the HTTP server exited before listening" "$tmp/server.out" "$tmp/server.err"
  sleep 0.1
done
[[ -n "$url" ]] || fail "the HTTP server did not log its URL within 60 s" "$tmp/server.err"
echo "ci-inspector: HTTP server (pid $server_pid) at $url, bearer token required"

auth=(--transport http --header "Authorization: Bearer $token")
inspect "http tools/list lists instagram_create_post" list "$url" "${auth[@]}" --method tools/list
inspect "http tools/call instagram_accounts succeeds" ok "$url" "${auth[@]}" --method tools/call --tool-name instagram_accounts
inspect "http tools/call instagram_get_posts account=@nobody fails with a hint" error "$url" "${auth[@]}" \
  --method tools/call --tool-name instagram_get_posts --tool-arg account=@nobody
if "${INSPECTOR[@]}" "$url" --transport http --method tools/list >"$tmp/out.json" 2>&1; then
  fail "http without the bearer token: the inspector was let in" "$tmp/out.json"
fi
grep -q '"error":"unauthorized"' "$tmp/out.json" || fail "http without the bearer token: refused, but not as unauthorized" "$tmp/out.json"
checked=$((checked + 1))
echo "ok $checked - http without the bearer token is refused: unauthorized"

kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
echo "ci-inspector: $checked checks passed"
