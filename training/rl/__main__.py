"""``python -m training.rl`` is ``goengine-rl``."""
from .cli import main

raise SystemExit(main())
