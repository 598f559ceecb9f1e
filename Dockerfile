# Tributary workers: the library, its `tributary` command and the reference system's topologies in
# one image, on the Node version scripts/with-node.sh installs (an exact tag, checked by test/deploy/). Node runs the TypeScript sources directly (type stripping), so there is no build step;
# each compose service picks its application with `node bin/tributary.js run topologies/<app>.ts`.
FROM node:24.21.0-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so code changes do not reinstall them. The lock file pins every version; dev
# dependencies (test tools, the TypeScript compiler) are not needed to run workers. No scripts: the
# package's own "prepare" builds dist/ for npm packages, which the image does not use.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

COPY bin ./bin
COPY src ./src
COPY schemas ./schemas
COPY topologies ./topologies

# Stores live under the state directory; a volume there keeps them across restarts, so a restarted
# worker restores only the changelog's tail. Owned by the unprivileged user that runs the worker.
RUN mkdir -p /var/lib/tributary/state && chown -R node:node /var/lib/tributary
ENV STATE_DIR=/var/lib/tributary/state
USER node

# SIGTERM (docker stop) makes the worker finish in-flight records, commit, close its stores and
# leave the group; give it time with stop_grace_period.
CMD ["node", "bin/tributary.js", "--help"]
