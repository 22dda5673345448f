"""How often an open conversation page asks for news while its tab is visible (seconds). Kept
free of Django imports: the bench reads it to price an idle conversation."""

POLL_SECONDS = 3
