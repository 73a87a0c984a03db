"""picture stage."""
