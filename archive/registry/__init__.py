"""The registry in the archive: governments from the national division codes (`divisions`, `governments`), and how
the bundled CSV's rows, crawled agencies and discovered units join them (`join`)."""
