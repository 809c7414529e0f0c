# Layerforge images. Targets:
#   runtime (default): the API (serves the editor) and CPU workers, on TensorFlow's CPU build
#   gpu:               workers with TensorFlow's CUDA wheels (needs the NVIDIA container toolkit)
# The base images are build arguments (compose passes PYTHON_IMAGE and NODE_IMAGE from the
# environment or .env), so a registry mirror needs no edit here. Layers run from what
# changes least: a change to the source alone reuses the installed dependencies.
ARG PYTHON_IMAGE=python:3.12-slim
ARG NODE_IMAGE=node:22-slim

# --- the editor: built once, copied into the Python package as static files ---
FROM ${NODE_IMAGE} AS editor
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- what every Python stage shares: a virtual environment, a non-root user ---
FROM ${PYTHON_IMAGE} AS python
ENV PATH=/opt/venv/bin:$PATH \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    LAYERFORGE_DATA_DIR=/data \
    LAYERFORGE_ARTIFACTS_DIR=/data/artifacts
RUN python -m venv /opt/venv \
    && useradd --create-home --uid 10001 layerforge \
    && mkdir -p /data/artifacts && chown -R layerforge:layerforge /data

# --- the dependency lists, from pyproject.toml: only a change to them installs again ---
FROM python AS requirements
COPY pyproject.toml deploy/requirements.py /tmp/deps/
RUN python /tmp/deps/requirements.py --cpu team </tmp/deps/pyproject.toml >/tmp/requirements-cpu.txt \
    && python /tmp/deps/requirements.py team gpu </tmp/deps/pyproject.toml >/tmp/requirements-gpu.txt

# --- the dependencies, before any source, slimmed (deploy/slim-venv.sh) ---
FROM python AS deps
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*
COPY deploy/slim-venv.sh /tmp/deps/

FROM deps AS deps-cpu
COPY --from=requirements /tmp/requirements-cpu.txt /tmp/deps/
RUN pip install -r /tmp/deps/requirements-cpu.txt && sh /tmp/deps/slim-venv.sh

FROM deps AS deps-gpu
COPY --from=requirements /tmp/requirements-gpu.txt /tmp/deps/
RUN pip install -r /tmp/deps/requirements-gpu.txt && sh /tmp/deps/slim-venv.sh

# --- the app itself, as a wheel: the source and the built editor ---
FROM python AS wheel
RUN pip install "setuptools>=68"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY backend/ backend/
COPY --from=editor /src/frontend/dist backend/layerforge/static
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /wheels .

# --- GPU workers: the app with TensorFlow's CUDA wheels ---
FROM python AS gpu
COPY --from=deps-gpu /opt/venv /opt/venv
COPY --from=wheel /wheels /tmp/wheels
RUN pip install --no-deps /tmp/wheels/*.whl && rm -rf /tmp/wheels
ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility
USER 10001
WORKDIR /home/layerforge
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=10s --start-period=60s --retries=3 \
    CMD ["layerforge", "worker", "--check"]
CMD ["layerforge", "worker", "--gpus", "all"]

# --- the API (serves the editor) and CPU workers; the default target ---
FROM python AS runtime
COPY --from=deps-cpu /opt/venv /opt/venv
COPY --from=wheel /wheels /tmp/wheels
RUN pip install --no-deps /tmp/wheels/*.whl && rm -rf /tmp/wheels
USER 10001
WORKDIR /home/layerforge
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=5 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/api/health', timeout=2)"]
CMD ["layerforge", "serve", "--host", "0.0.0.0", "--port", "8000"]
