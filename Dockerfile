# The gauntlet image for distributed runs on Kubernetes (gauntlet k8s render --image):
# a static gauntlet binary on a small Debian with /bin/sh, which the Job's pods need.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The Kubernetes build: segment 1 of a distributed run may inject Chaos Mesh faults.
RUN CGO_ENABLED=0 go build -trimpath -tags kubernetes -o /out/gauntlet ./cmd/gauntlet

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/gauntlet /usr/local/bin/gauntlet
WORKDIR /work
ENTRYPOINT ["gauntlet"]
