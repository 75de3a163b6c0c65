"""``python -m knowledge_base``: the staff command line (see ``cli``)."""
from .cli import main

raise SystemExit(main())
