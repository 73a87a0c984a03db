"""serve: a node as a partner deploys it, built from its configuration.

`config` reads and checks `node.toml`; `channels`, `keys` and `journal` turn its sections
into person channels, the hub's keys and the journal's start-up checks; `builder` is the
one place a node is assembled from a config (serve and the exercise both use it);
`command` is `warnline serve`.
"""
