# The GitHub Action image. GitHub runs container actions as root with the
# workspace as working directory, so there is no USER and no WORKDIR.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/kubeharden ./cmd/kubeharden

# The debug variant adds busybox's sh (/busybox/sh, on PATH): GitLab CI,
# Jenkins and Bitbucket run a job's script in the job image's shell.
FROM gcr.io/distroless/static-debian12:debug
COPY --from=build /out/kubeharden /usr/local/bin/kubeharden
ENTRYPOINT ["/usr/local/bin/kubeharden"]
