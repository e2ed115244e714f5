"""The end-to-end tests: real crawls of the sandbox (`nianbao crawl` in a subprocess), the CLI run as a user runs
it, the dashboard in a real browser."""
