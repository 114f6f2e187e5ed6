# syntax=docker/dockerfile:1

# One image for the API, the migration job and the mock card gateway; docker-compose.yml
# picks the entry point with `command`.

FROM node:20.20.2-bookworm-slim AS build
# Opts out of the install-time analytics of @scarf/scarf, which swagger-ui-dist depends on.
ENV SCARF_ANALYTICS=false
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci

COPY . .
RUN npm run build


FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app

# --ignore-scripts skips the two production install scripts: the embedded-postgres binary
# setup, unused because a container always sets DATABASE_URL, and the @scarf/scarf analytics.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

COPY --from=build /app/dist ./dist

# The node user (uid 1000) comes with the base image. The app files stay owned by root,
# so the process cannot modify its own code.
USER node

EXPOSE 3000

# Slim images have no curl, so the probe uses Node's built-in fetch.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live', { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "dist/src/main.js"]
