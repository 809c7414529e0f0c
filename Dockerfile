# syntax=docker/dockerfile:1
# Layerforge images. Targets:
#   runtime (default): the API (serves the editor) and CPU workers
#   gpu:               workers with TensorFlow's CUDA build (needs the NVIDIA container toolkit)

# --- the editor: built once, copied into the Python package as static files ---
FROM node:22-slim AS editor
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- a virtual environment with the app and its dependencies ---
FROM python:3.12-slim AS venv
ARG EXTRAS=team
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY backend/ backend/
COPY --from=editor /src/frontend/dist backend/layerforge/static
RUN /opt/venv/bin/pip install ".[${EXTRAS}]"

FROM venv AS venv-gpu
RUN /opt/venv/bin/pip install ".[team,gpu]"

# --- what both runtimes share: no compilers, no Node, a non-root user ---
FROM python:3.12-slim AS base
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    LAYERFORGE_DATA_DIR=/data \
    LAYERFORGE_ARTIFACTS_DIR=/data/artifacts
RUN useradd --create-home --uid 10001 layerforge \
    && mkdir -p /data/artifacts && chown -R layerforge:layerforge /data
USER 10001
WORKDIR /home/layerforge
VOLUME ["/data"]

# --- GPU workers: the app with TensorFlow's CUDA wheels ---
FROM base AS gpu
COPY --from=venv-gpu /opt/venv /opt/venv
CMD ["layerforge", "worker", "--gpus", "all"]

# --- the API (serves the editor) and CPU workers; the default target ---
FROM base AS runtime
COPY --from=venv /opt/venv /opt/venv
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=5 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/api/health', timeout=2)"]
CMD ["layerforge", "serve", "--host", "0.0.0.0", "--port", "8000"]
