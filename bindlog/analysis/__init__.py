"""Questions asked of a resolved snapshot: why, why not, what selects what."""
