"""node: one partner's or the hub's running node, assembled from its stages.

`Node` (assembly) joins the stages; `Commands` takes every input, `ReleasedViews`
answers every read, `Followers` fold the journal and survive restarts, `Runner`
drives the loops. The API uses commands and views only.
"""

from warnline.node.assembly import Node
from warnline.node.settings import NodeSettings

__all__ = ["Node", "NodeSettings"]
