# syntax=docker/dockerfile:1
# Build: compiles both apps; better-sqlite3 builds from source, so the toolchain lives only in this stage.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# `npm install`, as CI does: `npm ci` refuses this lock (it lacks the non-linux @swc/core optional builds).
RUN npm install --no-audit --no-fund
COPY nest-cli.json tsconfig.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

# Runtime: the built gateway, production dependencies, no compiler.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATABASE_URL=sqlite:/data/gateway.sqlite \
    SCORM_PRIVATE_KEY_PATH=/keys/scorm_private_key.pem \
    SCORM_PUBLIC_KEY_PATH=/keys/scorm_public_key.pem
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/scripts ./scripts
RUN mkdir -p /data /keys && chown node:node /data /keys
USER node
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["npm", "run", "--silent", "start:api"]
