"""Knowledge base: bilingual government-service content, its schema, loader, CLI and read API.

Modules: ``models`` (schema), ``db`` (engines, sessions, migrations), ``loader`` (parse and
validate content files), ``repository`` (read/write API), ``revisions`` (change history),
``backup`` (full dump/restore), ``cli`` (``python -m knowledge_base``).
"""
