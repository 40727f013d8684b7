# Image for the ecomstream CLI (producer, worker, dashboard in docker-compose.yml).
#   docker build -t ecomstream:local .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . /app
# kafka -> confluent-kafka, postgres -> psycopg[binary] (pinned in pyproject.toml)
RUN pip install ".[kafka,postgres]" \
 && useradd --create-home --uid 10001 ecomstream

USER ecomstream
EXPOSE 8050
ENTRYPOINT ["ecomstream"]
CMD ["--help"]
