"""Questions asked of the archive: who had to publish, and what became of each (statuses, roll-ups)."""
