#!/usr/bin/env bash
# Builds the gateway's image from a clean clone of HEAD and runs it for real, as the README's Docker section does:
#   scripts/container-check.sh            (root; podman, buildah and debootstrap from Debian: apt-get install -y …)
#
# 1. Base image: the Dockerfile's FROM (node:20-bookworm-slim) cannot be pulled here (no registry but npm and
#    Debian), so a Debian bookworm root is built with debootstrap from the mirror apt uses, this machine's Node 20
#    (node + npm) is copied in with a `node` user (uid/gid 1000, as in the official image), and it is imported under
#    exactly that name. Cached: skipped while the tag exists.
# 2. Image: `podman build` of a fresh `git clone` of HEAD (what is committed, nothing else), layers cached.
# 3. The README's commands in that clone: `cp .env.example .env`, `npm run keys -- --group 1000` (before any
#    npm install), then `podman run --env-file .env -v "$PWD/keys:/keys:ro" -v <volume>:/data …` on SQLite, and the
#    same image on the host's PostgreSQL (a scratch database): /health/ready, a postback stored and listed, the
#    HEALTHCHECK, SIGTERM → exit 0 within seconds (SQLite WAL checkpointed away), a restart keeping the data.
# 4. The image: its size, runs as `node`, no compiler, dev dependency, test folder, build leftover or secret.
#
# Engine: podman with runc (CONTAINER_RUNTIME), a store of its own under /var/lib/lms-gateway-check
# (CONTAINER_STORAGE_ROOT) with the overlay driver, or vfs where overlay cannot mount (CONTAINER_STORAGE_DRIVER),
# host network (no bridge needed), lowered ulimits. PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/test) is
# where the scratch database is made. IMAGE (default lms-gateway:check) is the tag built. Exit 0 = every check held.
set -Eeuo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${IMAGE:-lms-gateway:check}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}
# Storage of its own (never the machine's default store): overlay where the kernel mounts it (fast, layers
# shared), else vfs (a full copy per layer: several GB and minutes more per build).
overlay_works() {
  local t
  t=$(mktemp -d) && mkdir "$t/l" "$t/u" "$t/w" "$t/m" &&
    mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" 2>/dev/null &&
    umount "$t/m" && rm -rf "$t"
}
driver=${CONTAINER_STORAGE_DRIVER:-$(overlay_works && echo overlay || echo vfs)}
runtime=${CONTAINER_RUNTIME:-$(command -v runc >/dev/null && echo runc || echo crun)}
store=${CONTAINER_STORAGE_ROOT:-/var/lib/lms-gateway-check}/$driver
P=(podman --root "$store" --runroot "/run/lms-gateway-check/$driver" --storage-driver "$driver" --runtime "$runtime")
# Podman's default (nofile 1048576) is above this machine's hard limit, which runc may not raise: every run and
# build gets limits under it.
ULIMITS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

failures=0
started=$(date +%s)
say() { printf '\n==> %s\n' "$*"; }
ok() { printf '  ok    %s\n' "$*"; }
bad() { printf '  FAIL  %s\n' "$*"; failures=$((failures + 1)); }
check() { # check "<what>" <command…>: ok when the command succeeds
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

work=$(mktemp -d /tmp/container-check.XXXXXX)
containers=()
volumes=()
scratch_db=
cleanup() {
  for c in "${containers[@]}"; do "${P[@]}" rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
  for v in "${volumes[@]}"; do "${P[@]}" volume rm -f "$v" >/dev/null 2>&1 || true; done
  [ -n "$scratch_db" ] && psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $scratch_db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------------------- base
base=$(awk 'toupper($1) == "FROM" && $2 !~ /^(deps|build|prod-deps|sandbox)$/ { print $2 }' "$repo/Dockerfile" | sort -u)
[ "$(wc -l <<<"$base")" = 1 ] || { echo "The Dockerfile names more than one base image: $base" >&2; exit 1; }
case $base in */*) ref=$base ;; *) ref=docker.io/library/$base ;; esac
say "engine: $("${P[@]}" --version), storage $driver in $store, runtime $runtime"
say "base image $ref"
if "${P[@]}" image exists "$ref"; then
  ok "cached ($("${P[@]}" image inspect --format '{{.Created}}' "$ref"))"
else
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  root=$work/rootfs
  echo "  debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  "$node_bin" -e 'process.exit(process.versions.node.startsWith("20.") ? 0 : 1)' ||
    { echo "This machine's node is $("$node_bin" --version), not Node 20" >&2; exit 1; }
  install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # Node's headers, where the official image has them: node-gyp compiles better-sqlite3 against them (nodedir).
  headers=$(dirname "$(dirname "$node_bin")")/include/node
  [ -f "$headers/node_version.h" ] || { echo "No Node headers at $headers (node-gyp needs them)" >&2; exit 1; }
  mkdir -p "$root/usr/local/include" && cp -a "$headers" "$root/usr/local/include/node"
  # This machine reaches the npm registry through a TLS-inspecting egress proxy: the stand-in base trusts what the
  # host trusts (npm's cafile, else the system bundle), as Node's extra CAs. The real base needs nothing of this.
  changes=(--change 'CMD ["node"]')
  cafile=$(npm config get cafile 2>/dev/null || true)
  [ -f "$cafile" ] || cafile=/etc/ssl/certs/ca-certificates.crt
  if [ -f "$cafile" ]; then
    install -D -m 0644 "$cafile" "$root/usr/local/share/ca-certificates/host-trust.crt"
    changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/host-trust.crt')
  fi
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" -c . | "${P[@]}" import "${changes[@]}" - "$ref" >/dev/null 2>"$work/import.log" ||
    { cat "$work/import.log"; exit 1; }
  rm -rf "$root"
  ok "built: Debian bookworm (minbase) + node $("$node_bin" --version), npm $(npm --version)"
fi

# --------------------------------------------------------------------------------------------------------- image
say "image $IMAGE from a clean clone of $(git -C "$repo" rev-parse --short HEAD)"
git clone --quiet --no-hardlinks "$repo" "$work/src"
git -C "$work/src" checkout --quiet --detach "$(git -C "$repo" rev-parse HEAD)"
build_started=$(date +%s)
if [ -n "${CHECK_REUSE_IMAGE:-}" ] && "${P[@]}" image exists "$IMAGE"; then
  ok "CHECK_REUSE_IMAGE: $IMAGE as built before, not rebuilt (for working on this script only)"
elif "${P[@]}" build --format docker --layers --network host "${ULIMITS[@]}" -t "$IMAGE" "$work/src" >"$work/build.log" 2>&1; then
  ok "built in $(($(date +%s) - build_started)) s"
else
  tail -40 "$work/build.log"
  bad "build (log above)"
  exit 1
fi
size=$("${P[@]}" image inspect --format '{{.Size}}' "$IMAGE")
echo "  size  $((size / 1000000)) MB ($ref alone: $(($("${P[@]}" image inspect --format '{{.Size}}' "$ref") / 1000000)) MB)"

say "what the runtime image holds"
in_image() { "${P[@]}" run --rm --network none "${ULIMITS[@]}" --no-healthcheck --entrypoint /bin/sh "$IMAGE" -c "$1"; }
check "runs as node (uid 1000)" test "$(in_image 'id -un; id -u' | tr '\n' ' ')" = "node 1000 "
check "no compiler or build tool (cc gcc g++ make python3)" \
  in_image '! command -v cc && ! command -v gcc && ! command -v g++ && ! command -v make && ! command -v python3' >/dev/null
# Every package the lock marks dev-only (our devDependencies and what only they need); a devDependency that a
# production package also needs (@types/node, @types/pg of the pg instrumentation) is rightly there.
node -e "const l=require('$work/src/package-lock.json');for(const [k,v] of Object.entries(l.packages))if(v.dev&&k.startsWith('node_modules/'))console.log(k)" >"$work/dev-only.txt"
present=$("${P[@]}" run --rm -i --network none "${ULIMITS[@]}" --no-healthcheck --entrypoint /bin/sh "$IMAGE" \
  -c 'cd /app && while read -r p; do [ -e "$p" ] && echo "$p"; done; true' <"$work/dev-only.txt" || echo "(could not look)")
check "no dev-only package in node_modules ($(wc -l <"$work/dev-only.txt") in the lock)${present:+ (found: $(echo $present | cut -c1-300))}" test -z "$present"
check "no test, bench, source or scripts folder in /app" in_image '! ls -d /app/test /app/bench /app/apps /app/libs /app/scripts 2>/dev/null'
leftovers=$(in_image 'cd /app/node_modules; ls -d better-sqlite3/deps better-sqlite3/src better-sqlite3/build/Release/obj* @*/*-musl *-musl 2>/dev/null; true' || echo "(could not look)")
check "no better-sqlite3 build leftovers or musl binaries${leftovers:+ (found: $(echo $leftovers))}" test -z "$leftovers"
secrets=$(in_image 'find / -xdev \( -name "*.pem" -o -name "*.key" -o -name ".env" -o -name ".env.*" -o -name "id_rsa*" -o -name ".npmrc" \) -not -path "/etc/ssl/*" -not -path "/usr/share/*" -not -path "/usr/local/lib/node_modules/npm/*" -not -path "/app/node_modules/*/test*" 2>/dev/null; true' || echo "(could not look)")
check "no key, .env or .npmrc in the image${secrets:+ (found: $(echo $secrets))}" test -z "$secrets"
echo "  largest in /app/node_modules: $(in_image 'cd /app/node_modules && du -s * @*/* 2>/dev/null | sort -rn | head -8 | while read s d; do printf "%s %s MB, " "$d" $((s / 1024)); done' || true)"

# ------------------------------------------------------------------------------------------------------- running
# The README's steps, in the clone: no node_modules there, so `npm run keys` runs before any npm install.
say "the README's steps in the clone: cp .env.example .env; npm run keys -- --group 1000"
cd "$work/src"
cp .env.example .env
check "npm run keys before npm install" npm run --silent keys -- --group 1000
check "private key 0640, group 1000" test "$(stat -c '%a %g' keys/scorm_private_key.pem)" = "640 1000"

auth_basic="Basic $(printf '%s:%s' "$(sed -n 's/^WEBHOOK_USERNAME=//p' .env)" "$(sed -n 's/^WEBHOOK_PASSWORD=//p' .env)" | base64 -w0)"
api_key=$(sed -n 's/^API_KEYS=[^:]*://p' .env | cut -d, -f1)

wait_ready() { # wait_ready <port> <container>: /health/ready answers 200 within 60 s
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "http://127.0.0.1:$1/health/ready" 2>/dev/null && return 0
    [ "$("${P[@]}" inspect --format '{{.State.Running}}' "$2")" = true ] || break
    sleep 0.5
  done
  "${P[@]}" logs --tail 20 "$2"
  return 1
}

run_gateway() { # run_gateway <name> <port> <extra podman args…>: the README's `docker run`
  local name=$1 port=$2; shift 2
  containers+=("$name")
  # --health-interval disable: no systemd here to time the HEALTHCHECK; `podman healthcheck run` runs it. Podman 4.3
# still reports (level=error, harmlessly) that it cannot reach systemd: those lines go to podman.log.
  "${P[@]}" run -d --name "$name" --network host "${ULIMITS[@]}" --health-interval disable \
    --env-file .env -e PORT="$port" -v "$PWD/keys:/keys:ro" "$@" "$IMAGE" >/dev/null 2>>"$work/podman.log" ||
    { tail -5 "$work/podman.log"; return 1; }
}

postback() { # postback <port> <registration id>: a v2 JSON postback with the webhook credentials, as SCORM Cloud sends
  local now
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:$1/api/v1/webhooks/scorm-cloud" -H "Authorization: $auth_basic" \
    -H 'Content-Type: application/json' \
    -d "{\"id\":\"$2\",\"instance\":0,\"updated\":\"$now\",\"registrationCompletion\":\"COMPLETED\",\"registrationSuccess\":\"PASSED\",\"score\":{\"scaled\":85},\"totalSecondsTracked\":342,\"course\":{\"id\":\"course-1\"},\"learner\":{\"id\":\"learner-9\"}}"
}

stored() { # stored <port> <registration id>: the postback is listed by the admin API
  curl -fsS "http://127.0.0.1:$1/api/v1/webhooks/events?registration_id=$2" -H "Authorization: Bearer $api_key" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.exit(JSON.parse(s).items.some(e=>e.registration_id===process.argv[1])?0:1))' "$2"
}

graceful_stop() { # graceful_stop <container>: SIGTERM, stopped within 10 s with exit 0
  local t0 t1 code
  t0=$(date +%s%N)
  "${P[@]}" kill --signal TERM "$1" >/dev/null
  for _ in $(seq 1 200); do
    [ "$("${P[@]}" inspect --format '{{.State.Running}}' "$1")" = false ] && break
    sleep 0.05
  done
  t1=$(date +%s%N)
  code=$("${P[@]}" inspect --format '{{.State.ExitCode}}' "$1")
  echo "  stopped in $(((t1 - t0) / 1000000)) ms, exit $code; last line: $("${P[@]}" logs --tail 1 "$1" 2>&1 | cut -c1-160)"
  [ "$("${P[@]}" inspect --format '{{.State.Running}}' "$1")" = false ] && [ "$code" = 0 ] && [ $(((t1 - t0) / 1000000)) -lt 10000 ]
}

say "SQLite (the .env's DATABASE_URL=sqlite:data/gateway.sqlite, a named volume on /data)"
port=$(free_port)
volume=lms-check-data-$$
volumes+=("$volume")
"${P[@]}" volume create "$volume" >/dev/null
run_gateway lms-check-sqlite-$$ "$port" -v "$volume:/data"
check "/health/ready answers 200" wait_ready "$port" lms-check-sqlite-$$
check "a postback is accepted (200)" postback "$port" container-check-sqlite
check "and stored (GET /api/v1/webhooks/events)" stored "$port" container-check-sqlite
check "the HEALTHCHECK passes (podman healthcheck run)" "${P[@]}" healthcheck run lms-check-sqlite-$$
sleep 20
echo "  gateway RSS 20 s after the postback: $("${P[@]}" exec lms-check-sqlite-$$ awk '/VmRSS/ { printf "%.0f MB", $2 / 1024 }' /proc/1/status)"
check "SIGTERM stops it within 10 s with exit 0" graceful_stop lms-check-sqlite-$$
files=$("${P[@]}" run --rm --network none "${ULIMITS[@]}" --no-healthcheck -v "$volume:/data" --entrypoint /bin/ls "$IMAGE" /data | tr '\n' ' ' || true)
echo "  /data after the stop: $files"
check "no SQLite WAL left behind" test -z "$(grep -o 'gateway.sqlite-wal' <<<"$files")"
restarted() {
  "${P[@]}" start lms-check-sqlite-$$ >/dev/null 2>>"$work/podman.log" && wait_ready "$port" lms-check-sqlite-$$ >/dev/null &&
    stored "$port" container-check-sqlite
}
check "restarted on the same volume, the postback is still there" restarted
check "second SIGTERM: exit 0 again" graceful_stop lms-check-sqlite-$$

say "PostgreSQL (the host's, a scratch database)"
if psql "$PG_ADMIN_URL" -qtAc 'SELECT 1' >/dev/null 2>&1; then
  scratch_db=lms_container_check_$$
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $scratch_db" >/dev/null
  pg_url=$(node -e "const u=new URL(process.argv[1]);u.pathname='/$scratch_db';console.log(u.href)" "$PG_ADMIN_URL")
  port=$(free_port)
  run_gateway lms-check-pg-$$ "$port" -e DATABASE_URL="$pg_url"
  check "/health/ready answers 200" wait_ready "$port" lms-check-pg-$$
  check "a postback is accepted (200)" postback "$port" container-check-pg
  check "and stored (a row in webhook_events)" \
    test "$(psql "$pg_url" -qtAc "SELECT count(*) FROM webhook_events WHERE registration_id = 'container-check-pg'")" = 1
  check "the HEALTHCHECK passes (podman healthcheck run)" "${P[@]}" healthcheck run lms-check-pg-$$
  check "SIGTERM stops it within 10 s with exit 0" graceful_stop lms-check-pg-$$
else
  bad "PostgreSQL at $PG_ADMIN_URL does not answer"
fi

say "the sandbox target (docker compose --profile sandbox)"
if "${P[@]}" build --format docker --layers --network host "${ULIMITS[@]}" --target sandbox -t "$IMAGE-sandbox" . >"$work/build-sandbox.log" 2>&1; then
  sport=$(free_port)
  containers+=(lms-check-sandbox-$$)
  "${P[@]}" run -d --name lms-check-sandbox-$$ --network host "${ULIMITS[@]}" -e SANDBOX_PORT="$sport" \
    -e SANDBOX_HOST=127.0.0.1 "$IMAGE-sandbox" >/dev/null
  up=1
  for _ in $(seq 1 60); do curl -fsS -o /dev/null "http://127.0.0.1:$sport/health" 2>/dev/null && { up=0; break; }; sleep 0.5; done
  check "answers /health" test "$up" = 0
  check "SIGTERM stops it within 10 s with exit 0" graceful_stop lms-check-sandbox-$$
else
  tail -20 "$work/build-sandbox.log"
  bad "sandbox target build"
fi

# The store stays bounded and the cache warm: the dependency stages get tags (cache hits, seconds), then the
# untagged images of earlier builds go.
for stage in deps prod-deps build; do
  "${P[@]}" build --format docker --layers --network host "${ULIMITS[@]}" --target "$stage" -t "$IMAGE-$stage" \
    "$work/src" >/dev/null 2>&1 || true
done
"${P[@]}" image prune -f >/dev/null 2>&1 || true

say "$([ "$failures" = 0 ] && echo "container check passed" || echo "container check FAILED: $failures check(s)") in $(($(date +%s) - started)) s"
[ "$failures" = 0 ]
