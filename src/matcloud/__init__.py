"""matcloud: a self-hostable open-science platform for computational materials science.

The web application is built by :func:`matcloud.app.create_app` from a
:class:`matcloud.settings.Settings`; nothing is built at import time.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
