# Builds kubeharden from source: `docker build -t kubeharden .`. Releases
# and the GitHub Action use the prebuilt image of Dockerfile.release
# instead. No USER and no WORKDIR in the final stage: GitHub runs container
# actions as root with the workspace as working directory. Base images are
# pinned by the digest of their multi-arch index; the release process
# refreshes them (docs/releasing.md).
FROM golang:1.26@sha256:3aff6657219a4d9c14e27fb1d8976c49c29fddb70ba835014f477e1c70636647 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/kubeharden ./cmd/kubeharden

# The debug variant adds busybox's sh (/busybox/sh, on PATH): GitLab CI,
# Jenkins and Bitbucket run a job's script in the job image's shell.
FROM gcr.io/distroless/static-debian12:debug@sha256:ea6a51495f94a482dc431cd247bbace8f9a096ed6397005995245520ce5afcfe
COPY --from=build /out/kubeharden /usr/local/bin/kubeharden
ENTRYPOINT ["/usr/local/bin/kubeharden"]
