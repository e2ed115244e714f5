"""The crawler's enumerations, each defined once: what a request is for (`Role`) and what an exchange becomes in
the archive (`Kind`). Why a request came to nothing is the run record's vocabulary: `archive.runs.Failure`.

StrEnums: their members are the strings stored in the crawl state, the run record and the request meta, so state
written before they existed reads back as the same members.
"""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a request is for in the walk from a portal's home page to its reports."""

    HOME = "home"  # the portal's home page
    NAV = "nav"  # a 政务公开 page on the way to the report column
    COLUMN = "column"  # a report column (or a sub-column: a year, a group of units, a unit)
    SHELL = "shell"  # a gkmlpt directory: a Vue shell whose list comes from its API
    PAGE = "page"  # a further page of a list
    API = "api"  # a page of a list's JSON/XML API
    DOC = "doc"  # a report's page
    FILE = "file"  # a report's attachment


DOCUMENT_ROLES = frozenset({Role.DOC, Role.FILE})
LIST_ROLES = frozenset({Role.COLUMN, Role.PAGE, Role.API})
PAGING_ROLES = frozenset({Role.PAGE, Role.API})  # further pages of one list
NAV_ROLES = frozenset({Role.HOME, Role.NAV, Role.SHELL})
DEPTH_ROLES = frozenset({Role.NAV, Role.COLUMN})  # steps that count towards the navigation depth
# Documents first: a run's finished work is what survives a kill, and the queue stays short.
PRIORITY = {Role.FILE: 30, Role.DOC: 20, Role.PAGE: 10, Role.API: 10, Role.COLUMN: 5, Role.SHELL: 5, Role.NAV: 0,
            Role.HOME: 0}


class Step(StrEnum):
    """What a page is for in discovery's walk from the provincial portal (`crawler.spiders.discover`)."""

    SITE = "site"  # a site's entrance: whose it is, the portals it links below, the way to its columns
    NAV = "nav"  # a 政务公开 page on the way to the report column and the directories of units
    COLUMN = "column"  # a report column: its sub-columns per unit
    DIRECTORY = "directory"  # a directory of units (departments, townships)
    UNIT = "unit"  # a unit's page in a directory (its folder, its gkmlpt shell): its report column


class Kind(StrEnum):
    """What the item pipeline does with an exchange."""

    DOCUMENT = "document"  # a report candidate: archived and extracted
    LISTING = "listing"  # provenance only: into the WARC file
