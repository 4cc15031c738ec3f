"""Every write of the grants app, one typed function each (`<noun>_<verb>`), in a transaction."""

from .rounds import phase_extend, round_close, round_create, round_open

__all__ = ["phase_extend", "round_close", "round_create", "round_open"]
