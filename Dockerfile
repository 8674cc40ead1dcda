# One image for every GreenCart process; docker-compose.yml picks the entry point per service.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 GREENCART_DATA_DIR=/data
COPY package.json package-lock.json ./
COPY platform/package.json platform/
COPY gateway/package.json gateway/
COPY subgraphs/accounts/package.json subgraphs/accounts/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/products/package.json subgraphs/products/
# Dev dependencies stay: the services run their TypeScript through tsx.
RUN npm ci --include=dev --no-audit --no-fund
COPY . .
# The service public key folders exist in the image, so that docker-compose.yml's volumes mounted
# there start out owned by node (the gateway and orders publish their keys into them).
RUN mkdir -p /data/keys/services/public/gateway /data/keys/services/public/orders && chown -R node:node /data
USER node
