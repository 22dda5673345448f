"""Programs writes, a module per concern (library, images, plans, ...)."""
