"""provision: the commands that make and keep a node directory (`warnline init`, `warnline user`).

They write files `warnline serve` reads at start; nothing here talks to a running node.
"""

from warnline.provision.node_dir import InitResult, init_node
from warnline.provision.user_commands import add_user, remove_user, set_password

__all__ = ["InitResult", "add_user", "init_node", "remove_user", "set_password"]
