# stockline service image: compiled JavaScript, production dependencies only, non-root.
# Build:  docker build -t stockline .
# Run:    docker run --rm -e STOCKLINE_ENV=production -e STOCKLINE__KAFKA__BROKERS=kafka:9092 stockline --help
#
# node_modules is installed once, in the build stage, with install scripts: node-rdkafka (the
# default Kafka client, kafka.client) builds librdkafka from source there. The runtime stage
# copies the pruned production node_modules, native addon included, and has no compiler.

FROM node:20-bookworm-slim AS build
# librdkafka's build: a C/C++ toolchain, make and Python 3 (node-gyp), and the OpenSSL and zlib
# headers, without which the Kafka client has no TLS and cannot read gzip-compressed topics.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ libssl-dev zlib1g-dev ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json .npmrc ./
# ibmmq (optional) would download IBM's client at install; the image brings the MQ client
# separately when the MQ replicator is configured.
ENV MQIJS_NOREDIST=true
# .npmrc points node-gyp at the Debian package's Node headers (/usr); this image's are in /usr/local.
ENV npm_config_nodedir=/usr/local
# About three minutes on two quiet cores (librdkafka).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Then production dependencies only, and without librdkafka's sources and objects (~465 MB):
# the addon needs build/Release/node-librdkafka.node and build/deps/librdkafka*.so.1.
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/node-rdkafka/deps node_modules/node-rdkafka/build/Release/obj.target \
    node_modules/node-rdkafka/build/deps/*.a \
  && node -e "require('node-rdkafka')"

FROM node:20-bookworm-slim AS runtime
# The shared libraries librdkafka links against (TLS, gzip).
RUN apt-get update \
  && apt-get install -y --no-install-recommends libssl3 zlib1g ca-certificates \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production MQIJS_NOREDIST=true
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY bin ./bin
COPY config ./config
COPY connectors/*.yaml ./connectors/
COPY mappings ./mappings
# Fails the image build when the native Kafka client does not load here.
RUN node -e "require('node-rdkafka')"
USER node
ENTRYPOINT ["node", "bin/stockline.js"]
CMD ["--help"]
