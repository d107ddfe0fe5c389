"""Who this process is — its pid and a random tag — cached, and renewed in a forked child.

The request path needs both on every request (the access line names the worker's pid; new
request ids start with the tag). os.getpid() is a system call and a random draw is one too,
and in a threaded worker a system call can hand the interpreter lock to another thread; so
both are read once per process. A fork hook clears them in the child, so a worker forked
from a process that had read them never reports its parent's pid or reuses its tag.
"""

import os
import secrets

_identity: tuple[int, str] | None = None
_hook_registered = False


def _forget() -> None:
    global _identity
    _identity = None


def _identity_now() -> tuple[int, str]:
    global _identity, _hook_registered
    if not _hook_registered:
        os.register_at_fork(after_in_child=_forget)
        _hook_registered = True
    _identity = (os.getpid(), secrets.token_hex(8))
    return _identity


def pid() -> int:
    return (_identity or _identity_now())[0]


def tag() -> str:
    """16 random hex digits, drawn once per process."""
    return (_identity or _identity_now())[1]
