# dirgate container image (untested here: no container engine runs on the development machine).
# Build:  docker build -t dirgate .
# Run:    docker run -p 9000:9000 -p 3389:3389 -v dirgate-data:/data dirgate

# --- build stage: compiles the TypeScript and the SQLite driver (node-gyp needs python3, make, g++)
FROM node:20-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY tsconfig.json ./
COPY src ./src
COPY protocols ./protocols
COPY migrations ./migrations
COPY config ./config
COPY test ./test
COPY bench ./bench
# `npm ci` builds through the prepare script; then drop the development dependencies.
RUN npm ci && npm prune --omit=dev

# --- runtime stage: only what runs, as a non-root user
FROM node:20-slim
ENV NODE_ENV=production \
    DIRGATE_DATABASE_URL=sqlite:/data/dirgate.sqlite \
    DIRGATE_EXPORT_DIR=/data/exports \
    DIRGATE_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
RUN groupadd --system dirgate && useradd --system --gid dirgate --home-dir /app dirgate \
 && mkdir -p /data && chown dirgate:dirgate /data
USER dirgate
VOLUME ["/data"]
EXPOSE 9000 3389 6636
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.DIRGATE_HTTP_PORT||9000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
