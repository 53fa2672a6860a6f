# syntax=docker/dockerfile:1
# K-SISS autoscaler image: `make build IMAGE=...`. Three stages: compile TypeScript, install production
# dependencies only, then a slim runtime that runs as the unprivileged `node` user (uid 1000) and writes
# nothing outside /tmp, so it runs with readOnlyRootFilesystem (configuration.yaml mounts /tmp).
#
# Base pinned by tag; pin the digest too in production builds:
#   docker buildx imagetools inspect node:20.20.2-bookworm-slim   # then NODE_IMAGE=node:20.20.2-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY autoscaler ./autoscaler
COPY gpu-registry ./gpu-registry
COPY prometheus ./prometheus
COPY knative ./knative
COPY exporter ./exporter
COPY leader ./leader
COPY policy ./policy
COPY service-model ./service-model
COPY simulator ./simulator
COPY local-cluster ./local-cluster
COPY cli ./cli
COPY scripts/copy-build-assets.mjs ./scripts/
# Compiles to dist/ and copies the data files (CRD, dashboard, configs) next to the code that reads them.
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist ./dist
COPY --chown=root:root package.json ./
# Files belong to root and are read-only for the process; it runs as `node` (1000:1000).
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["run", "--metrics-host", "0.0.0.0", "--metrics-port", "8080"]
