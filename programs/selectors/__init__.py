"""Programs reads: querysets and computed views built from the access-scoped querysets."""
