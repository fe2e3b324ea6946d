# syntax=docker/dockerfile:1
# Stages, ordered so a rebuild reuses the slow layers: `deps` (toolchain + `npm ci`, better-sqlite3 compiled from
# source) changes only with the lock; `prod-deps` prunes it once per lock; only `build` reruns on a source change.

# Every dependency, as the lock pins it; the toolchain lives only in these stages.
FROM node:20-bookworm-slim AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# node-gyp compiles against the image's own Node headers instead of downloading them.
ENV npm_config_nodedir=/usr/local
WORKDIR /app
# .prebuild-installrc makes better-sqlite3 compile from source (no binary downloads).
COPY package.json package-lock.json .npmrc .prebuild-installrc ./
RUN npm ci --no-audit --no-fund

# Production dependencies only, without better-sqlite3's sources and objects (~29 MB: only the .node addon is
# loaded), prebuilt binaries for another libc (npm may not tell glibc from musl in a build container), source maps
# and type declarations (nothing at run time reads them).
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund \
  && cd node_modules/better-sqlite3 \
  && mv build/Release/better_sqlite3.node /tmp/ \
  && rm -rf build deps src \
  && mkdir -p build/Release && mv /tmp/better_sqlite3.node build/Release/ \
  && cd /app && rm -rf node_modules/@*/*-linux-*-musl node_modules/*-linux-*-musl \
  && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete

# Both apps compiled.
FROM deps AS build
COPY nest-cli.json tsconfig.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# The sandbox (Bazaar, SCORM Cloud and the demo LMS page) for `docker compose --profile sandbox`: it checks SCORM
# Cloud requests against Rustici's client, a dev dependency, so it runs from the full build, never in production.
FROM build AS sandbox
ENV NODE_ENV=development SANDBOX_PORT=3100
USER node
EXPOSE 3100
CMD ["node", "dist/apps/sandbox/main.js"]

# Runtime: the built gateway and its production dependencies; no compiler, dev dependency, test or secret.
# NODE_OPTIONS: a 2 MB young generation (Node's default grows it to 16 MB, mostly garbage between scavenges) holds
# the gateway at ~112 MB RSS idle instead of ~145 (README, Memory); `-e NODE_OPTIONS=` restores Node's default.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATABASE_URL=sqlite:/data/gateway.sqlite \
    SCORM_PRIVATE_KEY_PATH=/keys/scorm_private_key.pem \
    SCORM_PUBLIC_KEY_PATH=/keys/scorm_public_key.pem \
    NODE_OPTIONS=--max-semi-space-size=2
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/dist/apps/api ./dist/apps/api
# Relative paths resolve against /app: data/ and keys/ are /data and /keys, so a .env made from .env.example
# (DATABASE_URL=sqlite:data/gateway.sqlite, SCORM_*_KEY_PATH=keys/…) means the same files as the defaults above.
RUN mkdir -p /data /keys && chown node:node /data && ln -s /data data && ln -s /keys keys
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node itself is PID 1 (no npm in between), so SIGTERM reaches the gateway: it drains and exits 0.
# --heap-growing-percent=100: the old generation may grow to twice what the last full collection kept (V8 picks up
# to 4x), ~165 MB RSS under the soak instead of ~215-250 (README, Memory). Node refuses it in NODE_OPTIONS.
CMD ["node", "--heap-growing-percent=100", "dist/apps/api/apps/api/src/main.js"]
