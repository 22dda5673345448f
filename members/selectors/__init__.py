"""Members reads that build querysets for many callers, a module per concern."""
