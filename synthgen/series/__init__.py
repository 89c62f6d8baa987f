"""Time series: many sequences keyed by an entity, or one long series."""
