"""The console's pages, one module per concern; each has ``add_routes(app)``."""
