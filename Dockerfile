# syntax=docker/dockerfile:1
# The image every pod of `bkgen workflows fleet` runs: bkgen installed from its own wheel, git and
# ssh for the overlay and deploy repositories, nothing installed at run time.
#
#   docker build --build-arg BKGEN_VERSION="$(bkgen --version | sed 's/.* //')" \
#     -t "<registry>/bkgen:<version>" .
#
# Base: python:3.11.10-slim-bookworm pinned by the digest of its multi-platform index, as
# recorded by Renovate in the public repository nalabelle/build (images/digests.Dockerfile).
# Bump the tag and the digest together; a cluster's own registry mirrors it under the same
# digest (`--build-arg PYTHON_IMAGE=<registry>/python:3.11.10-slim-bookworm@sha256:...`).
ARG PYTHON_IMAGE=python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16

# Stage 1: the wheel of bkgen and wheels of its dependencies (the only stage that downloads;
# PIP_INDEX_URL may point at a staged mirror such as bkrepo's).
FROM ${PYTHON_IMAGE} AS wheels
ARG PIP_INDEX_URL
WORKDIR /src
COPY pyproject.toml README.md ./
COPY generator/ generator/
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Stage 2: install from those wheels only (--no-index), as a non-root user.
FROM ${PYTHON_IMAGE}
ARG BKGEN_VERSION
LABEL org.opencontainers.image.title="bkgen" \
      org.opencontainers.image.description="GitOps generator and validator for BlueKing 7.x" \
      org.opencontainers.image.version="${BKGEN_VERSION}"
# Debian packages follow bookworm's security updates rather than pins that would stop
# building the day the archive drops the old version.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    python -m venv /opt/bkgen \
    && /opt/bkgen/bin/pip install --no-cache-dir --no-index --find-links /wheels "bkgen==${BKGEN_VERSION}" \
    && test "$(/opt/bkgen/bin/bkgen --version)" = "bkgen, version ${BKGEN_VERSION}"
RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin bkgen
ENV PATH=/opt/bkgen/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1
USER 10001
WORKDIR /home/bkgen
ENTRYPOINT ["/opt/bkgen/bin/bkgen"]
