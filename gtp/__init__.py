"""Go Text Protocol: the engine side (engine.py, handlers.py, __main__.py) and the controller
side (client.py). Importing the package registers the ``gtp:`` agent kind (kind.py)."""
from . import kind  # noqa: F401  (registers gtp: in goengine.agents)
