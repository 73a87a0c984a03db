"""Warnline: federated early-warning exchange for aerial threats."""
