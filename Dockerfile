# One image for every GreenCart process; docker-compose.yml and deploy/kubernetes pick the entry
# point per service (`node <workspace>/dist/index.js`, or a subgraph's dist/migrate.js).
# test/production-build.test.ts builds and runs what the last stage holds, from this file's COPY lines.

# Build: every dependency, then `npm run build` compiles each workspace's src/ to dist/. No install
# script is wanted: the only ones package.json allows are embedded PostgreSQL's, a development tool.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY platform/package.json platform/
COPY gateway/package.json gateway/
COPY subgraphs/accounts/package.json subgraphs/accounts/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/products/package.json subgraphs/products/
COPY subgraphs/reviews/package.json subgraphs/reviews/
COPY client/package.json client/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# Run: production dependencies only, the compiled JavaScript and the files it reads beside it.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 GREENCART_DATA_DIR=/data
COPY package.json package-lock.json ./
COPY platform/package.json platform/
COPY gateway/package.json gateway/
COPY subgraphs/accounts/package.json subgraphs/accounts/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/products/package.json subgraphs/products/
COPY subgraphs/reviews/package.json subgraphs/reviews/
COPY client/package.json client/
# Fixes to dependencies not yet released upstream (patches/, applied by patch-package as npm install does).
COPY patches patches
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npx patch-package && npm cache clean --force
COPY --from=build /app/platform/dist platform/dist
COPY --from=build /app/gateway/dist gateway/dist
COPY --from=build /app/subgraphs/accounts/dist subgraphs/accounts/dist
COPY --from=build /app/subgraphs/orders/dist subgraphs/orders/dist
COPY --from=build /app/subgraphs/products/dist subgraphs/products/dist
COPY --from=build /app/subgraphs/reviews/dist subgraphs/reviews/dist
# Read at run time, found from the compiled modules (import.meta.url): schemas, migrations, the
# service manifest, the supergraph, the persisted documents (the production safelist) and
# GraphiQL's example operations.
COPY subgraphs/accounts/schema.graphql subgraphs/accounts/
COPY subgraphs/accounts/migrations subgraphs/accounts/migrations
COPY subgraphs/orders/schema.graphql subgraphs/orders/
COPY subgraphs/orders/migrations subgraphs/orders/migrations
COPY subgraphs/products/schema.graphql subgraphs/products/
COPY subgraphs/products/migrations subgraphs/products/migrations
COPY subgraphs/reviews/schema.graphql subgraphs/reviews/
COPY subgraphs/reviews/migrations subgraphs/reviews/migrations
COPY supergraph.yaml supergraph.graphql ./
COPY client/persisted-documents.json client/
COPY client/src/operations.graphql client/src/
# The service public key folders exist in the image, so that docker-compose.yml's volumes mounted
# there start out owned by node (the services that call others publish their keys into them).
RUN mkdir -p /data/keys/services/public/gateway /data/keys/services/public/orders /data/keys/services/public/reviews && chown -R node:node /data
USER node
