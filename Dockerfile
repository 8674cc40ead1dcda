# One image for every GreenCart process; docker-compose.yml and deploy/kubernetes pick the entry
# point per service (`node <workspace>/dist/index.js`, or a subgraph's dist/migrate.js). The web
# apps' built files get an image of their own each, nginx's (`--target storefront`).
# test/production-build.test.ts builds and runs what the last stage holds, from this file's COPY
# lines: the services' image stays the last stage.

# The gateway's GraphQL address as browsers reach it, baked into the storefront's JavaScript.
ARG VITE_GREENCART_URL=http://localhost:4000/graphql

# Build: every dependency, then `npm run build:services` compiles each service workspace's src/ to
# dist/ (the storefront is built in its own stage below, with its gateway address). No install
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
COPY storefront/package.json storefront/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build:services

# The storefront built again with the gateway's address it is given: only this step runs again when
# VITE_GREENCART_URL changes, never the services' build above.
FROM build AS storefront-build
ARG VITE_GREENCART_URL
RUN VITE_GREENCART_URL="$VITE_GREENCART_URL" npm run build -w storefront

# The storefront's image: nginx as an unprivileged user (uid 101) on 8080, serving the built files
# with deploy/nginx/web-app.conf.template, which the image's entry point renders into conf.d at
# start (GREENCART_ variables only, so nginx's own $variables stay). With a read-only root it needs
# /tmp and /etc/nginx/conf.d writable (deploy/kubernetes mounts emptyDirs there).
FROM nginxinc/nginx-unprivileged:1.28-alpine AS storefront
ARG VITE_GREENCART_URL
# Where the page may connect (its Content-Security-Policy): the address the build baked in.
ENV GREENCART_URL=${VITE_GREENCART_URL} NGINX_ENVSUBST_FILTER=^GREENCART_
COPY deploy/nginx/web-app.conf.template /etc/nginx/templates/default.conf.template
COPY --from=storefront-build /app/storefront/dist /usr/share/nginx/html

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
# No storefront/package.json: its libraries are in its built files, so npm leaves them out here.
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
# service manifest, the supergraph, the persisted documents (the production safelist: the client's
# and each web app's) and GraphiQL's example operations.
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
COPY storefront/src/generated/persisted-documents.json storefront/src/generated/
COPY client/src/operations.graphql client/src/
# The service public key folders exist in the image, so that docker-compose.yml's volumes mounted
# there start out owned by node (the services that call others publish their keys into them).
RUN mkdir -p /data/keys/services/public/gateway /data/keys/services/public/orders /data/keys/services/public/reviews && chown -R node:node /data
USER node
