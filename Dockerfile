# syntax=docker/dockerfile:1
#
# okta-command-sync as a container: `docker build -t okta-command-sync .`
#
# The image holds no configuration and no secrets. At run time it expects:
#   /etc/okta-command-sync/config.yaml   the config file (OCS_CONFIG), mounted read-only
#   /var/lib/okta-command-sync/          a persistent volume for the snapshot DB (OCS_STATE)
#   the two tokens, preferably as files named by OKTA_API_TOKEN_FILE and COMMAND_SCIM_TOKEN_FILE
# README.md ("Run it on a schedule") shows docker run, cron, systemd and Kubernetes set-ups.

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: compile TypeScript, keep only production dependencies --------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src

COPY package.json package-lock.json ./
# better-sqlite3 is the one dependency with an install script, approved in package.json's
# allowScripts for npm versions that check them (npm 11). The script downloads a prebuilt
# binary for this Node version and platform; only when none can be had (an unusual
# architecture, no access to GitHub) does it compile from source, which needs python3, make
# and g++. They are installed in that case only, and never reach the final image either way.
RUN npm ci --no-audit --no-fund \
 || { apt-get update \
      && apt-get install -y --no-install-recommends python3 make g++ \
      && rm -rf /var/lib/apt/lists/* \
      && npm ci --no-audit --no-fund; }

COPY tsconfig.json rolldown.config.mjs ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime -------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

# A fixed numeric uid/gid, so that Kubernetes (runAsUser, fsGroup) and host bind mounts can
# name it. The runtime never calls a package manager: removing npm, corepack and yarn keeps them
# and their dependencies out of the image and its vulnerability scans.
RUN groupadd --system --gid 10001 okta-command-sync \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin okta-command-sync \
 && mkdir -p /var/lib/okta-command-sync /etc/okta-command-sync \
 && chown 10001:10001 /var/lib/okta-command-sync \
 && chmod 0700 /var/lib/okta-command-sync \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-v* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn \
      /usr/local/bin/yarnpkg

ENV NODE_ENV=production \
    OCS_CONFIG=/etc/okta-command-sync/config.yaml \
    OCS_STATE=/var/lib/okta-command-sync/okta-command-sync.db

WORKDIR /app
# Owned by root and read-only to the service user: the program cannot modify itself.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY config.example.yaml ./config.example.yaml
# The licence travels with every copy of the program, images included.
COPY LICENSE ./LICENSE

USER 10001:10001

# The snapshot DB and its WAL files. Mount a named volume or a PersistentVolumeClaim here:
# without one the snapshot is lost with the container, and the next run starts from nothing.
VOLUME ["/var/lib/okta-command-sync"]

# Logs go to stderr as one JSON object per line (the default when stderr is not a terminal).
# `sync` stops cleanly on SIGTERM: it finishes the requests in flight, records them, and exits.
# The default is the scheduled run every set-up in deploy/ makes: `sync --incremental` follows
# Okta's System Log and still reads the whole org once per sync.fullEvery (24h by default).
ENTRYPOINT ["node", "/app/bin/okta-command-sync.js"]
CMD ["sync", "--incremental"]
