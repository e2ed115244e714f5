"""Realistic 政府信息公开工作年度报告 documents rendered from a `ReportSpec` in every format portals publish."""
