"""The coalition agreement: partners, keys, areas, contacts, policies."""
