"""alerting stage."""
