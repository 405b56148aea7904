# syntax=docker/dockerfile:1
#
# The bizos image: one static binary (every command: authsvc, brain, worker,
# portal, migrate, keys) on distroless, running as an unprivileged user.
#
#   docker build -t bizos .
#   docker run --rm bizos help
#
# Stage 1 builds the portal (React + Vite) into portal/dist/app; stage 2
# embeds it with go:embed and builds a static binary (CGO_ENABLED=0) without
# the embedded Temporal dev server (-tags nodevtemporal: it is two thirds of
# the binary, and a deployment uses a Temporal cluster, so `bizos dev` in the
# image needs TEMPORAL_ADDRESS); stage 3 is the runtime image.

FROM node:22-bookworm-slim AS portal
WORKDIR /src/portal
COPY portal/package.json portal/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --loglevel=error
COPY portal/ ./
RUN npx vite build --logLevel warn

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
COPY --from=portal /src/portal/dist/app ./portal/dist/app
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -tags nodevtemporal -trimpath -ldflags "-s -w" -o /out/bizos ./cmd/bizos

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bizos /bizos
# Local state (only `bizos dev` needs it: the embedded Temporal database and a
# development master key). Everything else keeps its state in PostgreSQL,
# Redis and Temporal, so the root filesystem can be read-only.
ENV BIZOS_DATA_DIR=/tmp/bizos
USER nonroot:nonroot
# brain, authsvc, portal, worker metrics
EXPOSE 8000 8008 3000 9090
ENTRYPOINT ["/bizos"]
CMD ["help"]
