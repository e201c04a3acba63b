# The reference server as a container image. Build from a checkout:
#   docker build -t authn-machine .
# Run against PostgreSQL (migrations applied on start; secrets from the environment only):
#   docker run --rm -p 8080:8080 \
#     -e DATABASE_URL=postgres://authn:...@db:5432/authn -e AUTHN_MIGRATE=1 \
#     -e AUTHN_PUBLIC_URL=https://login.example.com \
#     -e AUTHN_API_TOKENS=... -e AUTHN_SECRET_KEYS=k1:base64key \
#     authn-machine
# Without DATABASE_URL it keeps the embedded store in /data (mount a volume there to keep it).
# SIGTERM (docker stop) finishes in-flight requests and exits 0. Details: packages/server/README.md.

FROM node:20-bookworm-slim AS build
WORKDIR /src
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0
RUN corepack enable
COPY . .
# The lockfile as committed; then the server and its workspace packages as plain folders (no
# workspace links) with production dependencies only.
RUN pnpm install --frozen-lockfile \
 && pnpm build \
 && pnpm --filter @authn-machine/server deploy --legacy --prod /app

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    AUTHN_HOST=0.0.0.0 \
    AUTHN_PORT=8080 \
    AUTHN_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# node runs as PID 1 and gets SIGTERM from `docker stop` directly; the server handles it (PID 1 has
# no default signal actions, so it must).
ENTRYPOINT ["node", "dist/main.js"]
