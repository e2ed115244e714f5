"""Fetching: the downloader and spider middlewares, proxy, cookies, connections, the per-host queue, TLS, the typed
failures of a request and the per-portal budget."""
