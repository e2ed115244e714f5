"""Scrapy settings of the `reports` spider: polite by default (robots.txt, AutoThrottle, two requests per host,
retries, a size limit, an identifying User-Agent); every value can be overridden with `-s NAME=value`."""

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "nianbao/0.1 (+https://github.com/nianbao/nianbao; annual reports on government information disclosure)"
ROBOTSTXT_OBEY = True

# Many hosts in parallel, at most two requests at a time on any one of them.
CONCURRENT_REQUESTS = 128  # measured with the host queue below (crawler/host_queue.py): 64 and 192 were slower
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# By priority alone, documents of busy hosts went first while slow portals' navigation waited, and those portals
# ended the crawl alone: every portal is started at once, then the hosts with most requests waiting go first.
SCHEDULER_PRIORITY_QUEUE = "crawler.host_queue.BusiestHostFirst"
DOWNLOADER = "crawler.downloader.PoliteDownloader"  # Scrapy 2.19's let a host have more (crawler/downloader.py)
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
# A report is at most a few MB; scans of compilations run to hundreds: stop them (domain.md §5 hazards).
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
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
}
DUPEFILTER_CLASS = "scrapy.dupefilters.RFPDupeFilter"
# A check for the spider author: Scrapy reads a callback's source for it on every response (bound methods defeat its
# cache), a twentieth of the event loop's time.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Responses pass the middlewares from the highest number down: a challenge page is recognised once CookiesMiddleware
# (700) has read its Set-Cookie and HttpCompressionMiddleware (590) has unzipped it, and the encoding is repaired
# before MetaRefreshMiddleware (580) reads the text (which made Scrapy run its own charset detection first).
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.HostGuard": 50,
    "crawler.middlewares.ChallengePages": 588,
    "crawler.middlewares.EncodingRepair": 585,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetry": 550,  # Scrapy's retries, with exponential backoff and Retry-After
}
DOWNLOAD_HANDLERS = {"http": "crawler.connections.PooledDownloadHandler",
                     "https": "crawler.connections.PooledDownloadHandler"}
ITEM_PIPELINES = {"crawler.archiving.ArchivePipeline": 300}

# nianbao's own settings.
NIANBAO_DB = None  # archive database (default: $NIANBAO_DB or data/archive.sqlite)
NIANBAO_DATA = None  # blobs and WARC files (default: beside a SQLite archive)
NIANBAO_ALLOWED_SUFFIXES = [".gov.cn"]
NIANBAO_ALLOW_PRIVATE = False  # also refuses registry names that resolve to private addresses (without a proxy)
NIANBAO_RETRY_BACKOFF = 1.0  # seconds before the first retry, doubled for each further one
NIANBAO_RETRY_BACKOFF_MAX = 60.0
NIANBAO_EXTRACT_WORKERS = 2
NIANBAO_INGEST_BATCH = 100
NIANBAO_EXTRACT_BACKLOG_MB = 256.0  # documents waiting for extraction and the archive, before downloads wait for them
NIANBAO_PORTAL_BUDGET = 5000  # requests per portal before it is cut off as a trap
NIANBAO_NAV_DEPTH = 3  # home → 政务公开 → … → the report column
NIANBAO_MAX_PAGES = 500  # pages of one list
NIANBAO_NAV_TTL_DAYS = 7.0  # home and navigation pages: revisited after this long
NIANBAO_LISTING_TTL_DAYS = 30.0  # complete columns of past years
NIANBAO_DOCUMENT_TTL_DAYS = 90.0  # known reports: revisited (conditionally) after this long
NIANBAO_PROGRESS_SECONDS = 10.0
# Distributed mode (crawler.distributed): a Redis URL makes this process a worker of the run named NIANBAO_RUN.
NIANBAO_REDIS = None
NIANBAO_RUN = None
NIANBAO_WORKER = None  # default: host name and process id
NIANBAO_IDLE_EXIT = 30.0  # a worker stops once the shared frontier has had no work for this long
NIANBAO_LEASE_SECONDS = 30.0  # a worker silent this long is dead: its requests go back to the frontier
# What one document may cost its extraction (pipelines/limits.py; `nianbao import`, `reparse` and `extract` read
# these too). Each document is extracted in a worker process (pipelines/workers.py): a breach fails that document
# alone, recorded as an error naming the limit. A report runs to a few dozen pages and tens of MB.
NIANBAO_EXTRACT_MEMORY_MB = 1024  # address space of a worker (RLIMIT_AS), LibreOffice and tesseract included
NIANBAO_EXTRACT_SECONDS = 300.0  # wall time per document, then its worker is killed and replaced
NIANBAO_ZIP_MAX_MB = 200.0  # uncompressed size of a DOCX/XLSX/OFD container's entries together
NIANBAO_ZIP_MAX_ENTRIES = 10_000
NIANBAO_TABLE_MAX_CELLS = 200_000  # positions of one table once merged cells are expanded
NIANBAO_PDF_MAX_PAGES = 500
NIANBAO_OCR_SECONDS = 240.0  # OCR of one document's pages together
