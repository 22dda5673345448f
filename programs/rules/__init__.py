"""Pure rules of the programs app (no database): how a dose is worded."""
