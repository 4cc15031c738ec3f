"""Every non-trivial read of the charity app, scoped by the acting user where it is not public."""

from .disclosure import *  # noqa: F403
from .staff import *  # noqa: F403
