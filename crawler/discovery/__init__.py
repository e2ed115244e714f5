"""Discovery: which pages lead to reports (navigation, recognition, attachments, URLs, blocking pages), and the
registry of portals the crawl starts from."""
