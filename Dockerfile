# One image for the four services: `python -m services.<name>` picks one (the default: checkin).
# Two stages: `build` installs requirements.lock (every dependency pinned with its hashes: `make lock`
# regenerates it from pyproject.toml) and the wheel of services/ into a virtualenv; the final stage is
# the slim Python base with that virtualenv only: no pip, no build backend, no compiler, no sources.
# Only the shipped package goes in: development tooling (tools/), tests and benchmarks stay out
# (tests/deploy/test_dockerfile.py checks this).
#
# Build arguments:
#   PYTHON_IMAGE  the base of both stages (default python:3.11-slim; the lock is made for Python 3.11
#                 on Linux, so change both together). Pin a digest for reproducible builds:
#                 --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:<digest>
#   UID           the numeric user the services run as (default 65534, Debian's `nobody`, never root; the
#                 Kubernetes manifests' runAsUser matches it)
#   GID           its numeric group (default 65534, `nogroup`)
#   PIP_INDEX_URL the package index (or a mirror) the build stage downloads the locked files from;
#                 the hashes are checked whatever the index
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ARG PIP_INDEX_URL=https://pypi.org/simple
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_INDEX_URL=${PIP_INDEX_URL}
WORKDIR /src
RUN python -m venv /opt/hadir
COPY requirements.lock ./
RUN /opt/hadir/bin/pip install --require-hashes --no-deps --only-binary=:all: -r requirements.lock
COPY pyproject.toml README.md ./
COPY services ./services
# Bytecode is compiled here (pip's default), so a read-only root filesystem starts as fast as a writable one.
RUN /opt/hadir/bin/pip install --no-deps --no-build-isolation . \
 && rm -f /opt/hadir/bin/hadir \
 && /opt/hadir/bin/pip uninstall --yes setuptools pip

FROM ${PYTHON_IMAGE}
ARG UID=65534
ARG GID=65534
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH=/opt/hadir/bin:$PATH HADIR_HOST=0.0.0.0 HADIR_PORT=8000
COPY --from=build /opt/hadir /opt/hadir
WORKDIR /app
USER ${UID}:${GID}
EXPOSE 8000
# Liveness: the process answers /healthz on its HADIR_PORT (compose and Kubernetes probe /readyz themselves).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ['HADIR_PORT'], timeout=2)"]
CMD ["python", "-m", "services.checkin"]
