"""Every write of the evaluation app, one typed function each (`<noun>_<verb>`), in a transaction."""

from .frameworks import Node, framework_new_version, framework_publish, framework_replace, framework_save

__all__ = ["Node", "framework_new_version", "framework_publish", "framework_replace", "framework_save"]
