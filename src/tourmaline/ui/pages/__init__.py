"""One module per console page group; `ui/routes.py` includes their routers."""
