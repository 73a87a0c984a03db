"""accounts: who may sign in to a node, as which partner and role, and what each role may do."""

from warnline.accounts.users import (
    Accounts,
    Action,
    Role,
    Session,
    User,
    check_cell_accounts,
)

__all__ = ["Accounts", "Action", "Role", "Session", "User", "check_cell_accounts"]
