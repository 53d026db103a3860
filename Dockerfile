# CNN Lab as a container: `docker build -t cnnlab .` then
# `docker run -p 8501:8501 -v cnnlab-models:/data/models cnnlab` (see docs/DEPLOY.md).
FROM python:3.11-slim

# No .pyc files in the image, logs straight to `docker logs`, and pip without its cache (a smaller layer).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An unprivileged user runs the app: a hole in a dependency then cannot touch the rest of the container.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin cnnlab

WORKDIR /app
# Requirements first, so editing the app's code does not reinstall TensorFlow on the next build.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Trained models live on a volume, so they outlive the container: a restart or an upgrade keeps them, and
# several replicas can share them. The folder is created owned by the app's user, which a new named volume
# inherits.
ENV CNNLAB_MODEL_DIR=/data/models
# `dask worker` (compose.yaml) runs from /usr/local/bin; this lets it import the training code.
ENV PYTHONPATH=/app
RUN mkdir -p /data/models && chown -R cnnlab:cnnlab /data
VOLUME ["/data/models"]

# A server has no browser to open and no source files that change under it.
ENV STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

USER cnnlab
EXPOSE 8501

# Slim images have no curl; Python's urllib asks Streamlit's own health endpoint. The first start imports
# TensorFlow lazily, but the health endpoint answers as soon as the server listens.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4).status == 200 else 1)"]

CMD ["streamlit", "run", "streamlit_app.py", "--server.address", "0.0.0.0", "--server.port", "8501"]
