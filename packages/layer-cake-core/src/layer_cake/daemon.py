"""The declared seam between layer-cake-core and the other two distributions.

``layer-cake-directory`` (group-cake, host-cake, lan-cake) and ``layer-cake-cli`` (the
``layer-cake`` command) import from here, never from a private module of the core (a test,
``tests/core/test_layering.py``, fails on any such import). What is here is what a daemon or
a tool needs beyond the application API of ``layer_cake``: configuring and reaching the
process's directory node, the inspection protocol, a home's roles and records, the process's
command line, the site key file, and the codec entry points for records.

The directory node's names load on first use (PEP 562, as ``layer_cake`` does): the node
brings the event loop and networking, which ``layer-cake list`` or ``status`` never need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .net._site_key import (
    SITE_KEY_ENV,
    SITE_KEY_FILE,
    SITE_KEY_SIZE,
    SiteKeyError,
    generate_site_key,
    read_site_keys,
    use_site_key,
)
from .process._command_line import CL
from .process._home_role import portable_environment
from .process._role import (
    HOME_FOLDERS,
    ROLE_FILES,
    ROLE_FOLDERS,
    HeadLock,
    LockedOut,
    StartStop,
    home_fault,
    home_roles,
    make_home,
    record_stop,
    remove_role,
    role_executable,
    role_exists,
    role_locked_out,
    role_path,
    role_running,
    role_start_stop,
    role_values,
)
from .process._rolling import log_files, logs_path
from .pubsub._addresses import DIRECTORY_AT_HOST, DIRECTORY_PORT, directory_at_lan
from .pubsub._descriptors import descriptor_limit_text, raise_descriptor_limit
from .runtime._log import set_level
from .runtime._messages import ProcessOrigin
from .types._json import decode_data, decode_json, encode_json

if TYPE_CHECKING:  # loaded on first use, see __getattr__
    from .pubsub._inspect import (
        CONNECTED,
        LISTING_PARTS,
        NO_ACTIVE_ROUTE,
        TO_BE_CONFIRMED,
        DirectoryListing,
        DirectoryOpened,
        DirectoryPeer,
        DirectoryRoute,
        GetDirectory,
        ListDirectory,
        OpenDirectory,
        PeerSession,
    )
    from .pubsub._node import (
        NODE,
        AcceptDirectories,
        configure_node,
        configure_process,
        node_address,
        set_default_parent,
    )

__all__ = [
    # The process's directory node.
    "NODE",
    "AcceptDirectories",
    "configure_node",
    "configure_process",
    "node_address",
    "set_default_parent",
    "DIRECTORY_AT_HOST",
    "DIRECTORY_PORT",
    "directory_at_lan",
    "raise_descriptor_limit",
    "descriptor_limit_text",
    # The inspection protocol (pubsub §11).
    "CONNECTED",
    "NO_ACTIVE_ROUTE",
    "TO_BE_CONFIRMED",
    "DirectoryListing",
    "DirectoryOpened",
    "DirectoryPeer",
    "DirectoryRoute",
    "GetDirectory",
    "LISTING_PARTS",
    "ListDirectory",
    "OpenDirectory",
    "PeerSession",
    # Homes, roles and their records.
    "HOME_FOLDERS",
    "ROLE_FILES",
    "ROLE_FOLDERS",
    "HeadLock",
    "LockedOut",
    "StartStop",
    "home_fault",
    "home_roles",
    "make_home",
    "record_stop",
    "remove_role",
    "role_executable",
    "role_exists",
    "role_locked_out",
    "role_path",
    "role_running",
    "role_start_stop",
    "role_values",
    "portable_environment",
    "log_files",
    "logs_path",
    # The site key of encrypted links (docs/security.md).
    "SITE_KEY_ENV",
    "SITE_KEY_FILE",
    "SITE_KEY_SIZE",
    "SiteKeyError",
    "generate_site_key",
    "read_site_keys",
    "use_site_key",
    # The process.
    "CL",
    "ProcessOrigin",
    "set_level",
    "decode_data",
    "decode_json",
    "encode_json",
]

#: Name -> the module it loads from on first use.
_LAZY = dict.fromkeys(
    (
        "NODE",
        "AcceptDirectories",
        "configure_node",
        "configure_process",
        "node_address",
        "set_default_parent",
    ),
    ".pubsub._node",
)
_LAZY.update(
    dict.fromkeys(
        (
            "CONNECTED",
            "LISTING_PARTS",
            "NO_ACTIVE_ROUTE",
            "TO_BE_CONFIRMED",
            "DirectoryListing",
            "DirectoryOpened",
            "DirectoryPeer",
            "DirectoryRoute",
            "GetDirectory",
            "ListDirectory",
            "OpenDirectory",
            "PeerSession",
        ),
        ".pubsub._inspect",  # the inspection protocol: network and ping, not list or status
    )
)


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __package__), name)
    globals()[name] = value  # later lookups find it directly
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
