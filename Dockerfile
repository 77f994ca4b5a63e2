# One image for the four services: `python -m services.<name>` picks one.
# Only the shipped package goes in: development tooling (tools/), tests and benchmarks stay out
# (tests/deploy/test_dockerfile.py checks this).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 HADIR_HOST=0.0.0.0
WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
RUN pip install --no-cache-dir . && rm -f /usr/local/bin/hadir
USER nobody
CMD ["python", "-m", "services.checkin"]
