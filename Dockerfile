# journey-operator: the manager. Build from the repository root:
#   docker build -t journey-operator .

# The build stage runs on the build host's platform and cross-compiles, which
# is much faster than emulating the target platform.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src

# Modules first, in their own layer, so code edits do not re-download them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

# Only what the binary is built from (`go list -deps ./cmd/journey-operator`),
# so unrelated edits keep the cache.
COPY api/ api/
COPY cmd/journey-operator/ cmd/journey-operator/
COPY internal/apply/ internal/apply/
COPY internal/controller/ internal/controller/
COPY internal/health/ internal/health/
COPY internal/probe/ internal/probe/
COPY internal/render/ internal/render/
COPY internal/scheme/ internal/scheme/
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/journey-operator ./cmd/journey-operator

# Static binary on distroless: no shell or package manager, CA certificates
# (for an https:// Prometheus) and /etc/passwd included, runs as the
# unprivileged user 65532, matching the chart's restricted securityContext.
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/journey-operator /journey-operator
USER 65532:65532
# Metrics (HTTPS) and the /healthz and /readyz probes.
EXPOSE 8443 8081
ENTRYPOINT ["/journey-operator"]
