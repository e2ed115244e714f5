"""The read-only coverage dashboard: `nianbao serve` (see app.py)."""
