"""One home for settings: command-line flags become settings in one function, over the presets of
crawler/settings.py; the proxy of an in-process crawl is a setting, never the process's environment."""
from __future__ import annotations

import os
from types import SimpleNamespace

from scrapy import Request

from crawler import settings as defaults
from crawler.cli import build_parser
from crawler.cli.options import settings_from
from crawler.distributed import worker_settings
from crawler.fetch.proxy import SettingsProxy
from crawler.process import settings


def test_flags_become_settings_over_a_preset():
    args = build_parser().parse_args(["crawl", "--db", "x.sqlite", "--allow-private", "-q", "-s", "LOG_LEVEL=DEBUG",
                                      "-s", "AUTOTHROTTLE_ENABLED=True", "-s", "NIANBAO_DB=ignored.sqlite"])
    got = settings_from(args, preset="sandbox")
    # -s beats the preset, the flags that name a setting beat -s, and --quiet does not override an explicit level.
    assert got["AUTOTHROTTLE_ENABLED"] == "True" and got["NIANBAO_PROGRESS_SECONDS"] == 15.0
    assert got["NIANBAO_DB"] == "x.sqlite" and got["NIANBAO_ALLOW_PRIVATE"] is True and got["LOG_LEVEL"] == "DEBUG"
    assert "NIANBAO_DATA" not in got
    # --quiet: warnings only, and no progress lines (which show whatever the log level).
    assert settings_from(build_parser().parse_args(["crawl", "-q"])) == {"LOG_LEVEL": "WARNING",
                                                                       "NIANBAO_PROGRESS_SECONDS": 0}
    # The user's own proxy, trusted by saying so.
    assert settings_from(build_parser().parse_args(["crawl", "--proxy", "http://127.0.0.1:7890",
                                                    "--trust-env-proxy"])) == {
        "NIANBAO_PROXY": "http://127.0.0.1:7890", "NIANBAO_TRUST_ENV_PROXY": True}
    assert defaults.PRESETS["sandbox"]["LOG_LEVEL"] == "WARNING"  # the preset itself is left as it was


def test_years_is_one_option_with_its_default_in_the_settings():
    parser = build_parser()
    for argv in (["crawl"], ["seed", "--distributed", "redis://x"], ["demo"]):
        assert parser.parse_args(argv).years == defaults.NIANBAO_YEARS
    assert parser.parse_args(["schedule", "show"]).years == "2019-"  # a schedule's years never go stale


def test_a_worker_is_the_distributed_preset_and_its_run():
    got = worker_settings("redis://r/0", "crawl-1", "w1", 12.0)
    assert {k: got[k] for k in defaults.PRESETS["distributed"]} == defaults.PRESETS["distributed"]
    assert got["SCHEDULER_QUEUE_KEY"] == "nianbao:crawl-1:frontier" and got["NIANBAO_WORKER"] == "w1"
    assert got["NIANBAO_IDLE_EXIT"] == 12.0
    assert "NIANBAO_IDLE_EXIT" not in worker_settings("redis://r/0", "c", "w", None)
    # The project's spider middlewares stay on (a dict given as a setting replaces the project's).
    assert set(defaults.SPIDER_MIDDLEWARES) < set(got["SPIDER_MIDDLEWARES"])


def test_the_proxy_setting_sends_every_request_through_it_and_leaves_the_environment(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    environment = dict(os.environ)
    # The middleware reads the crawler's settings only (a crawler proper needs a running reactor).
    proxied = settings({"NIANBAO_PROXY": "http://127.0.0.1:8899"})
    middleware = SettingsProxy.from_crawler(SimpleNamespace(settings=proxied))
    plain, secure = Request("http://www.example.gov.cn/"), Request("https://www.example.gov.cn/")
    middleware.process_request(plain)
    middleware.process_request(secure)
    # https too, as a CONNECT tunnel: a user's proxy must carry every request (the sandbox refuses CONNECT, which
    # is how an https-only portal looks there: unreachable).
    assert plain.meta["proxy"] == secure.meta["proxy"] == "http://127.0.0.1:8899"
    assert dict(os.environ) == environment
    # Without the setting it is Scrapy's middleware: no proxy unless the environment names one.
    unset = Request("http://www.example.gov.cn/")
    SettingsProxy.from_crawler(SimpleNamespace(settings=settings())).process_request(unset)
    assert "proxy" not in unset.meta
    assert "crawler.fetch.proxy.SettingsProxy" in settings().getdict("DOWNLOADER_MIDDLEWARES")
