# shoal: one container per cluster node. See README ("Containers") and fleet/.
#
#   podman build --format docker -t shoal .                       (needs node:20-slim from a registry)
#   make image                                                    (a locally made base, no registry)
#
# BASE_IMAGE must be a Debian-like image with node 20+ and npm on PATH; every stage uses it, so the
# native modules built or unpacked in `deps` match the libc they run on.
ARG BASE_IMAGE=node:20-slim

# Production dependencies only, from the lockfile. Its own stage so that it is cached until
# package.json or package-lock.json change, whatever happens to the sources.
FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY docker/prune-prebuilds.mjs /tmp/
RUN npm ci --omit=dev --no-audit --no-fund --no-update-notifier \
 && node /tmp/prune-prebuilds.mjs node_modules \
 && rm -rf /root/.npm /tmp/*

# Compile: all dependencies, then tsc. Only dist/src, dist/cli, dist/webui and webui/public leave it.
FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --no-update-notifier
COPY . .
RUN npx tsc -p tsconfig.json \
 && mkdir -p /out/dist \
 && for d in src cli webui; do [ ! -d "dist/$d" ] || cp -r "dist/$d" /out/dist/; done \
 && { [ ! -d webui/public ] || { mkdir -p /out/webui && cp -r webui/public /out/webui/; }; } \
 && cp package.json /out/

FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="shoal" \
      org.opencontainers.image.description="Peer-to-peer storage node: replicated namespaces under /data, exported over NFS"
ENV NODE_ENV=production \
    DATA_PATH=/data
# rocksdb-native's prebuilt addon needs libatomic.so.1, which slim Debian images lack; the daemon
# runs on jemalloc (bin/with-jemalloc: half the memory glibc's malloc keeps per synced file). The local
# base has both, so this only reaches the mirror with other bases.
RUN { ldconfig -p | grep -q 'libatomic\.so\.1 ' && ldconfig -p | grep -q 'libjemalloc\.so\.2 '; } || { apt-get update \
      && apt-get install -y --no-install-recommends libatomic1 libjemalloc2 \
      && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log; }
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /out/ ./
COPY docker/entrypoint.sh /usr/local/bin/shoal-entrypoint
COPY docker/healthcheck.mjs /app/healthcheck.mjs
COPY bin/shoal bin/with-jemalloc /app/bin/
# `shoal` (the daemon through bin/shoal: jemalloc, V8 settings) and `ctl` on PATH as small wrappers
# (the compiled files are not executable, and a symlink would make node resolve imports from
# /usr/local/bin).
RUN printf '#!/bin/sh\nexec /app/bin/shoal "$@"\n' > /usr/local/bin/shoal \
 && printf '#!/bin/sh\nexec node /app/dist/cli/ctl.js "$@"\n' > /usr/local/bin/ctl \
 && chmod 0755 /usr/local/bin/shoal /usr/local/bin/ctl /usr/local/bin/shoal-entrypoint \
 && mkdir -p /data
VOLUME /data
# NFS (SHOAL_NFS_PORT) and the dashboard, /healthz, /readyz and /metrics (SHOAL_WEB_PORT). The DHT
# port is UDP and chosen by the node unless SHOAL_DHT_PORT is set: publish that one if you set it.
EXPOSE 2049 8888
# GET /healthz on the dashboard, with node's fetch (the slim base has no curl). Where the dashboard
# is off (SHOAL_WEB_PORT=0) or has no /healthz, the control socket answers instead: healthcheck.mjs.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["/usr/local/bin/shoal-entrypoint"]
