"""dispatch stage."""
