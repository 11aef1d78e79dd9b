# stockline service image: compiled JavaScript, production dependencies only, non-root.
# Build:  docker build -t stockline .
# Run:    docker run --rm -e STOCKLINE_ENV=production -e STOCKLINE__KAFKA__BROKERS=kafka:9092 stockline --help

FROM node:20-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json .npmrc ./
# ibmmq (optional) would download IBM's client at install; the image brings the MQ client
# separately when the MQ replicator is configured.
ENV MQIJS_NOREDIST=true
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production MQIJS_NOREDIST=true
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /build/dist ./dist
COPY bin ./bin
COPY config ./config
COPY connectors/*.yaml ./connectors/
COPY mappings ./mappings
USER node
ENTRYPOINT ["node", "bin/stockline.js"]
CMD ["--help"]
