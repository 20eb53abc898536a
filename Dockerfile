FROM python:3.11-slim

RUN useradd --system --home-dir /app --shell /usr/sbin/nologin feedsvc
WORKDIR /app
COPY pyproject.toml README.md ./
COPY feedsvc ./feedsvc
RUN pip install --no-cache-dir . && mkdir -p /app/public /app/var && chown feedsvc /app/public /app/var

USER feedsvc
ENV FEEDSVC_SEEDS_DIR=/app/seeds \
    FEEDSVC_OUTPUT_DIR=/app/public \
    FEEDSVC_STATE_DIR=/app/var \
    FEEDSVC_CONFIG=/app/config/feedsvc.toml \
    FEEDSVC_HOST=0.0.0.0
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz').status != 200)"
CMD ["feedsvc", "serve"]
