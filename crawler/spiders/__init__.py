"""Scrapy spiders (one: `reports`)."""
