"""Programs models; a module per aggregate, re-exported here."""
