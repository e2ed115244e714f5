"""Scrapy settings of the `reports` spider: polite by default (robots.txt, AutoThrottle, two requests per host,
retries, a size limit, an identifying User-Agent); every value can be overridden with `-s NAME=value`.

Every default of the crawler lives here, and the presets the command line lays over them (`PRESETS`). Command-line
flags become settings in one function (`crawler.cli.options.settings_from`).
"""
import os
from typing import Any

from scrapy.settings import default_settings as scrapy_defaults

from pipelines import limits as extraction

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "nianbao/0.1 (+https://github.com/nianbao/nianbao; annual reports on government information disclosure)"
ROBOTSTXT_OBEY = True

# Many hosts in parallel, at most two requests at a time on any one of them.
CONCURRENT_REQUESTS = 128  # measured with the host queue below (crawler/fetch/host_queue.py): 64 and 192 were slower
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# By priority alone, documents of busy hosts went first while slow portals' navigation waited, and those portals
# ended the crawl alone: every portal is started at once, then the hosts with most requests waiting go first.
SCHEDULER_PRIORITY_QUEUE = "crawler.fetch.host_queue.BusiestHostFirst"
DOWNLOADER = "crawler.fetch.downloader.PoliteDownloader"  # Scrapy 2.19's let a host have more (see there)
DOWNLOAD_DELAY = 0
# Scrapy starts this many asyncio tasks for every callback's output; a callback here yields a few requests and at
# most one item, and the default of 100 made task creation a tenth of the event loop's time.
CONCURRENT_ITEMS = 8
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 60

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
DOWNLOAD_MAXSIZE = extraction.Limits.file_bytes  # a report is at most a few MB: scans of compilations are stopped
DOWNLOAD_WARNSIZE = 20 * 1024 * 1024
# Government certificates are often broken or expired: like Scrapy's default, do not reject the site for it.
DOWNLOADER_CLIENT_TLS_METHOD = "TLS"

COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
SPIDER_MIDDLEWARES = {
    # The spider counts navigation depth itself in meta["depth"] (only steps through navigation and columns count:
    # lists may legitimately be many pages deep); this one set it to the response's plus one on every request.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    # A check for the spider author, run on every request a callback yields.
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
    "crawler.fetch.budget.PortalBudget": 800,  # NIANBAO_PORTAL_BUDGET
}
# The run record and progress (crawler.run_record): among Scrapy's own extensions, which a crawl cannot do without,
# so that `-s EXTENSIONS=…` adds to them and never drops it.
EXTENSIONS_BASE = {**scrapy_defaults.EXTENSIONS_BASE, "crawler.run_record.RunRecorder": 500}
DUPEFILTER_CLASS = "scrapy.dupefilters.RFPDupeFilter"
# A check for the spider author: Scrapy reads a callback's source for it on every response (bound methods defeat its
# cache), a twentieth of the event loop's time.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Responses pass the middlewares from the highest number down: a challenge page is recognised once CookiesMiddleware
# (700) has read its Set-Cookie and HttpCompressionMiddleware (590) has unzipped it, and the encoding is repaired
# before MetaRefreshMiddleware (580) reads the text (which made Scrapy run its own charset detection first).
DOWNLOADER_MIDDLEWARES = {
    "crawler.fetch.middlewares.HostGuard": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.fetch.middlewares.RobotsTxt": 100,  # Scrapy's, its refusal typed (crawler.fetch.failures)
    "crawler.fetch.middlewares.ChallengePages": 588,
    "crawler.fetch.middlewares.EncodingRepair": 585,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.fetch.middlewares.BackoffRetry": 550,  # Scrapy's retries, with exponential backoff and Retry-After
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
    "crawler.fetch.proxy.SettingsProxy": 750,  # Scrapy's, with NIANBAO_PROXY
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.fetch.cookies.BundledSuffixCookies": 700,  # Scrapy's, never downloading the public suffix list
}
DOWNLOAD_HANDLERS = {"http": "crawler.fetch.connections.PooledDownloadHandler",
                     "https": "crawler.fetch.connections.PooledDownloadHandler"}
ITEM_PIPELINES = {"crawler.archiving.ArchivePipeline": 300}

# nianbao's own settings.
# The archive: `--db`/`--data` or `-s`, else the environment, else a SQLite file under ./data with its blobs and WARC
# files beside it. Read here because both command lines start here: nianbao's and Scrapy's (`scrapy crawl`, Scrapyd).
NIANBAO_DB = os.environ.get("NIANBAO_DB") or "data/archive.sqlite"  # postgresql://… or a SQLite path
NIANBAO_DATA = os.environ.get("NIANBAO_DATA") or None  # None: beside a SQLite archive, else ./data
# Whether 街道办事处 count among those who must publish (issue 15): Art. 49 names governments and their departments,
# but street offices publish in practice and their counties collect their reports.
NIANBAO_STREET_OFFICES_PUBLISH = True
# Years reported on, when a command is given none (`--years`, `-a years=`): 2019 (the first year of the national
# table formats) to last year, worked out at each run, so that a scheduled crawl's command line never goes stale.
NIANBAO_YEARS = "2019-"
# Every request through this proxy, https as a CONNECT tunnel (`--proxy URL`; the sandbox's, for `nianbao demo`):
# Scrapy's HttpProxyMiddleware takes proxies from the environment only, which a crawl should not write
# (crawler.fetch.proxy). The user's own, so trusted on loopback or a private address (a client on 127.0.0.1:7890 is a
# common way to reach these portals from abroad) without opening the crawl to such addresses.
NIANBAO_PROXY = None
NIANBAO_TRUST_ENV_PROXY = False  # the same trust for $http_proxy/$https_proxy (`--trust-env-proxy`)
NIANBAO_ALLOWED_SUFFIXES = [".gov.cn"]
NIANBAO_ALLOW_PRIVATE = False  # also refuses registry names that resolve to private addresses (without a proxy)
NIANBAO_RETRY_BACKOFF = 1.0  # seconds before the first retry, doubled for each further one
NIANBAO_RETRY_BACKOFF_MAX = 60.0
NIANBAO_EXTRACT_WORKERS = extraction.WORKERS
NIANBAO_INGEST_BATCH = 100
NIANBAO_EXTRACT_BACKLOG_MB = 256.0  # documents waiting for extraction and the archive, before downloads wait for them
NIANBAO_PORTAL_BUDGET = 5000  # requests per portal before it is cut off as a trap
NIANBAO_NAV_DEPTH = 3  # home → 政务公开 → … → the report column
NIANBAO_MAX_PAGES = 500  # pages of one list
NIANBAO_NAV_TTL_DAYS = 7.0  # home and navigation pages: revisited after this long
NIANBAO_LISTING_TTL_DAYS = 30.0  # complete columns of past years
NIANBAO_DOCUMENT_TTL_DAYS = 90.0  # known reports: revisited (conditionally) after this long
NIANBAO_PROGRESS_SECONDS = 10.0
# Discovery (`nianbao registry discover`): a page read within this many days is not fetched again (its reading is
# kept in the crawl state), so that a weekly re-run on an unchanged web costs next to nothing; after it, the page is
# read again and what changed is found.
NIANBAO_DISCOVERY_REVISIT_DAYS = 30.0
NIANBAO_DISCOVERY_LEVELS = "prefecture,county,township,department"  # what discovery looks for below the province
NIANBAO_DISCOVERY_NAV_DEPTH = 3  # home → 政务公开 → … → the report column or a directory of units
# Distributed mode (crawler.distributed): a Redis URL makes this process a worker of the run named NIANBAO_RUN.
NIANBAO_REDIS = None
NIANBAO_RUN = None
NIANBAO_WORKER = None  # default: host name and process id
NIANBAO_IDLE_EXIT = 30.0  # a worker stops once the shared frontier has had no work for this long
NIANBAO_LEASE_SECONDS = 30.0  # a worker silent this long is dead: its requests go back to the frontier
# What one document may cost its extraction (`nianbao import`, `reparse` and `extract` read these too). Their values
# and what each one bounds are in pipelines/limits.py, beside the extraction (pipelines imports nothing of ours).
NIANBAO_EXTRACT_MEMORY_MB = extraction.Limits.memory_mb
NIANBAO_EXTRACT_SECONDS = extraction.Limits.seconds
NIANBAO_ZIP_MAX_MB = extraction.Limits.zip_mb
NIANBAO_ZIP_MAX_ENTRIES = extraction.Limits.zip_entries
NIANBAO_TABLE_MAX_CELLS = extraction.Limits.table_cells
NIANBAO_PDF_MAX_PAGES = extraction.Limits.pdf_pages
NIANBAO_OCR_SECONDS = extraction.Limits.ocr_seconds
# Scheduled crawls (`nianbao schedule`): daily in the reporting season (reports are due 31 January and 31 March),
# weekly otherwise.
NIANBAO_SCHEDULE_SEASON = "01-15:04-15"
NIANBAO_SCHEDULE_WEEKDAY = "mon"
NIANBAO_SCHEDULE_AT = "03:00"  # local time

# Groups of settings the command line lays over the defaults above (Scrapy itself reads none of them).
PRESETS: dict[str, dict[str, Any]] = {
    # `nianbao crawl --distributed`: a worker of a run whose frontier and seen-set are in Redis (crawler.distributed;
    # the run's own keys are added by crawler.distributed.worker_settings).
    "distributed": {
        "SCHEDULER": "crawler.distributed.Scheduler", "SCHEDULER_QUEUE_CLASS": "crawler.distributed.LeasedQueue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter", "SCHEDULER_PERSIST": True,
        # The outermost spider middleware: its loop ends once every other one has handled the output. (A setting
        # given here replaces the project's dict, so that is repeated.)
        "SPIDER_MIDDLEWARES": {**SPIDER_MIDDLEWARES, "crawler.distributed.LeaseMiddleware": 10},
        # A worker leases as many requests as it has room for, and what its hosts cannot take at once (two each)
        # waits in its slots, out of the other workers' reach: with 64, one worker of two now and then leased a
        # small run whole (tests/e2e/test_distributed.py). Leasing only what a host can take is not done yet.
        "CONCURRENT_REQUESTS": 16,
    },
    # `nianbao registry discover`: no documents are archived and no report run is recorded; its own progress.
    "discover": {
        "EXTENSIONS_BASE": {**scrapy_defaults.EXTENSIONS_BASE, "crawler.discovery.progress.DiscoveryProgress": 500},
        "ITEM_PIPELINES": {},
    },
    # `nianbao demo`: the sandbox, a local replica on loopback.
    "sandbox": {
        "NIANBAO_ALLOW_PRIVATE": True,  # the sandbox is a proxy on loopback
        # A local replica: the two-per-host limit stays, AutoThrottle's waiting (meant for real servers) goes.
        "AUTOTHROTTLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "NIANBAO_PROGRESS_SECONDS": 15.0,
    },
}
