# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the dev dependencies.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
COPY policies ./policies
COPY bin ./bin
# tsc for the server, then the CLI bundle that bin/monobot.js runs (its code cache needs git: none here).
RUN npm run build

# Runtime stage: production dependencies only, compiled code, the shipped policy defaults.
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY policies ./policies
COPY app.yml ./
COPY bin ./bin
# The journal of accepted deliveries (one replica; mount a volume here), writable by `node`.
ENV MONOBOT_STATE_DIR=/var/lib/monobot
RUN mkdir -p /var/lib/monobot && chown node:node /var/lib/monobot
VOLUME ["/var/lib/monobot"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
