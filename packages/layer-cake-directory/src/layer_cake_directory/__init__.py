"""layer-cake directory daemons: the GROUP, HOST and LAN nodes of the pub/sub directory."""

from ._daemons import group_cake, host_cake, lan_cake
from ._supervision import SUPERVISION_FILE, RoleState, Supervision, read_supervision

__all__ = [
    "group_cake",
    "host_cake",
    "lan_cake",
    "SUPERVISION_FILE",
    "RoleState",
    "Supervision",
    "read_supervision",
]
