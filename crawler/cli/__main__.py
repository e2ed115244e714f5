"""`python -m crawler.cli`: the `nianbao` command."""
import sys

from crawler.cli import main

sys.exit(main())
